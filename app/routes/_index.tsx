import type { MetaFunction } from '@remix-run/node';

export const meta: MetaFunction = () => [{ title: 'Paylink Desk' }];

export default function Index() {
  return (
    <main className="page page-narrow">
      <h1>Paylink Desk</h1>
      <p className="muted">Pay-by-link requests for contact centres.</p>
      <div className="card">
        <h2>Event API</h2>
        <p>
          Signed events go to <code>POST /api/v1/events</code>; a request and its timeline are at{' '}
          <code>GET /api/v1/payment-requests/:id</code> with a bearer token. See the README.
        </p>
      </div>
    </main>
  );
}
