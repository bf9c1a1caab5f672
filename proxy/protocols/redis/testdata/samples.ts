/** RESP samples, requests and replies in RESP2, RESP3 and inline form: the conformance suite's and the fuzzer's seeds. */
const b = (s: string) => Buffer.from(s);

export const SAMPLES = [
  { name: "resp-get.request", bytes: b("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n") },
  { name: "resp-mset-pipelined.request", bytes: b("*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n*1\r\n$4\r\nPING\r\n") },
  { name: "inline-set.request", bytes: b("SET k v\r\nGET k\r\n") },
  { name: "resp2-replies.response", bytes: b("+OK\r\n$3\r\nbar\r\n$-1\r\n:42\r\n-ERR oops\r\n*2\r\n$1\r\na\r\n*-1\r\n") },
  { name: "resp3-replies.response", bytes: b("%2\r\n+a\r\n:1\r\n+b\r\n_\r\n~1\r\n,3.14\r\n|1\r\n+ttl\r\n:3\r\n#t\r\n(12345678901234567890\r\n=8\r\ntxt:abcd\r\n!5\r\nERROR\r\n>2\r\n+msg\r\n+x\r\n") },
];
