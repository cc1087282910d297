-- Customer payment claims are now leases named payment:<request id> (app/write/payment-claims.server.ts).
DROP TABLE "payment_claims" CASCADE;
