/** The customer's link: the only key to the pay page. */
export function payUrlFor(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/pay/${token}`;
}
