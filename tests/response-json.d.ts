// Tests read API bodies loosely and assert their shape; production code never relies on this.
export {};

declare global {
  interface Response {
    json(): Promise<any>;
  }
}
