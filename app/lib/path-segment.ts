/**
 * An id as the last segment of a page's or an API route's path. SPEC §2's ids may hold dots, and a
 * path ending in `.data` is what Remix's single fetch asks a page's data by (`/requests/pr_1.data` is
 * /requests/pr_1's): the dot before a final `data` is written `%2E`, which the route still reads as
 * a dot (`/requests/pr_1%2Edata` is the request `pr_1.data`).
 */
export function pathSegment(id: string): string {
  return encodeURIComponent(id).replace(/\.data$/, '%2Edata');
}
