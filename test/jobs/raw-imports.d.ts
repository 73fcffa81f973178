// Vite's `?raw` imports (file contents as a string), used to send examples/ in tests.
declare module "*?raw" {
  const text: string;
  export default text;
}
