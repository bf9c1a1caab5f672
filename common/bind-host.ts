/**
 * The address meshsim's servers listen on: 127.0.0.1, except inside a container, where the
 * container's own network namespace is the boundary and its peers on the run's network reach it
 * by its address there (meshsim's images set MESHSIM_BIND_HOST=0.0.0.0).
 */
export function bindHost(): string {
  return process.env.MESHSIM_BIND_HOST || "127.0.0.1";
}
