// The part of js-yaml (a devDependency, shipped without types) the examples test uses.
declare module 'js-yaml' {
  export function load(text: string): unknown;
  export function loadAll(text: string): unknown[];
}
