declare module 'virtual:examples' {
  const list: { file: string; bytes: number }[];
  export default list;
}
