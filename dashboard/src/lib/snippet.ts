/** The tag a site pastes into its pages: the SDK served by this system, with the site's key. */
export function scriptTag(origin: string, apiKey: string): string {
  return `<script defer src="${origin}/sdk.js" data-api-key="${apiKey}"></script>`;
}
