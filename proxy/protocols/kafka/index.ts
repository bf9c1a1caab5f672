import type { CodecFactory } from "../../codec/codec.ts";
import type { StatsStore } from "../../stats/stats.ts";
import { KafkaApiStats } from "./api-stats.ts";
import { KafkaCodec } from "./codec.ts";

/** The Kafka codec for a listener (it reads requests; its `upstreamCodecFactory` reads responses). */
export const createKafkaCodec: CodecFactory = (options) => new KafkaCodec("downstream", undefined, options);

/** The same, with per-API stats published in `stats` as `kafka.api.<ApiName>.*`. */
export function kafkaCodecWithStats(stats: StatsStore): CodecFactory {
  const apiStats = new KafkaApiStats();
  stats.addProvider(() => apiStats.entries());
  return (options) => new KafkaCodec("downstream", apiStats, options);
}
