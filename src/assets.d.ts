// Files the box embeds as text through Bun import attributes (`with { type: "text" }`).
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.svg" {
  const text: string;
  export default text;
}
declare module "htmx.org/dist/*.js" {
  const text: string;
  export default text;
}
declare module "*.ami" {
  const text: string;
  export default text;
}
