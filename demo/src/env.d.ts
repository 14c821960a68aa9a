declare module 'virtual:examples' {
  const list: { file: string; bytes: number }[];
  export default list;
  /** Bundled agent graphs (examples/agent/*.yaml served under agent/), by id ('rag'). */
  export const agents: { id: string; file: string }[];
}
