import { describe, expect, it } from 'vitest';
import { type PreparedInput, prepareInputs } from '../../app/write/ingest-plan';
import { fromWire, toWire } from '../../app/write/ingest-writer';
import { created, MINUTE, step, T0 } from '../support/events';

// Batches cross to the ingest writer thread as flat arrays (app/write/ingest-writer.ts): what arrives
// must be every field the writer reads, as prepared.
describe('a prepared batch on its way to the writer thread', () => {
  it('arrives with each valid event as planned, its stored forms, and invalid inputs whole', () => {
    const prepared = prepareInputs(
      [
        created('pr_a', 0, { agentId: 'ag_1', agentName: 'Ana', teamId: 'tm_x', teamName: 'Team X' }),
        created('pr_card', 0, { reason: 'card 4111 1111 1111 1111' }),
        step('pr_a', 'sent', MINUTE),
        { ...step('pr_a', 'opened', MINUTE), type: 'payment_request.teleported' },
      ],
      T0 + 10 * MINUTE,
    );
    const arrived = fromWire(structuredClone(toWire(prepared)));
    const planned = (input: PreparedInput): PreparedInput => {
      if (!input.validation.ok) return input;
      const { id, type, occurredAt, requestId, details } = input.validation.event;
      return {
        ...input,
        validation: {
          ok: true,
          event: { id, type, occurredAt, requestId, details: details && { agent: details.agent } },
        },
      };
    };
    expect(arrived).toEqual(prepared.map(planned));
    expect(arrived[0]!.validation).toEqual({
      ok: true,
      event: {
        id: 'evt_pr_a_created',
        type: 'payment_request.created',
        occurredAt: T0,
        requestId: 'pr_a',
        details: { agent: { id: 'ag_1', name: 'Ana', team: { id: 'tm_x', name: 'Team X' } } },
      },
    });
    expect(arrived[2]!.validation).toMatchObject({ ok: true, event: { type: 'payment_request.sent', details: null } });
    // The masked event keeps its hash of the event as received, as a Buffer the writer binds.
    const hash = arrived[1]!.stored!.storedHash;
    expect(Buffer.isBuffer(hash)).toBe(true);
    expect(hash!.equals(prepared[1]!.stored!.storedHash!)).toBe(true);
    expect(hash!.byteLength).toBe(32);
    expect(arrived[3]).toEqual(prepared[3]);
    expect(arrived[3]!.validation).toMatchObject({ ok: false, error: { code: 'invalid_type' } });
  });
});
