// web/kiosk-offline.js is served to the browser, not run by the box; imported as text (see src/http/assets.ts).
declare const text: string;
export default text;
