import { useEffect, useRef } from 'react';

/**
 * What the embedded agent panel tells its host page (README "The agent panel in a chat desk").
 * Version 1; fields are only ever added.
 */
export type HostMessage =
  | { type: 'paylink:ready'; version: 1; conversationId: string | null; signedIn: boolean }
  | {
      type: 'paylink:status';
      version: 1;
      requestId: string;
      conversationId: string | null;
      status: string;
      statusLabel: string;
      amountText: string;
      orderNumber: string;
      payUrl: string | null;
      /** When the panel saw the change, ISO 8601. */
      at: string;
    };

interface CardLike {
  id: string;
  status: string;
  statusLabel: string;
  amountText: string;
  orderNumber: string;
  payUrl: string | null;
}

/**
 * The host's origin, only ever one the admin allowed: the `hostOrigin` the host put in the URL, else
 * the frame's parent as the browser reports it (ancestorOrigins, referrer). Never '*': a payment
 * link must not reach whatever page managed to frame the panel.
 */
export function resolveHostOrigin(allowed: readonly string[], requested: string | null): string | null {
  if (typeof window === 'undefined' || window.parent === window) return null;
  const ancestors = (window.location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  let referrer: string | null = null;
  try {
    referrer = document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    referrer = null;
  }
  const candidates = [requested, ancestors?.[0] ?? null, referrer];
  return candidates.find((origin) => origin !== null && allowed.includes(origin)) ?? null;
}

/**
 * Posts `paylink:ready` once, then `paylink:status` for every request that appears or changes
 * status after the panel loaded (a send made here, a customer opening or paying the link).
 */
export function useHostMessages({
  cards,
  conversationId,
  signedIn,
  allowedOrigins,
  requestedOrigin,
}: {
  cards: readonly CardLike[];
  conversationId: string | null;
  signedIn: boolean;
  allowedOrigins: readonly string[];
  requestedOrigin: string | null;
}) {
  const seen = useRef<Map<string, string> | null>(null);
  const origin = useRef<string | null>(null);
  const allowedKey = allowedOrigins.join(' ');

  useEffect(() => {
    origin.current = resolveHostOrigin(allowedKey.split(' ').filter(Boolean), requestedOrigin);
    const target = origin.current;
    if (target) window.parent.postMessage({ type: 'paylink:ready', version: 1, conversationId, signedIn }, target);
  }, [allowedKey, requestedOrigin, conversationId, signedIn]);

  useEffect(() => {
    // Signed out there are no cards to compare with: after a sign-in the conversation's requests are
    // what the panel loaded, not changes to tell the host of.
    if (!signedIn) {
      seen.current = null;
      return;
    }
    const previous = seen.current;
    seen.current = new Map(cards.map((card) => [card.id, card.status]));
    const target = origin.current;
    if (previous === null || target === null) return;
    for (const card of cards) {
      if (previous.get(card.id) === card.status) continue;
      const message: HostMessage = {
        type: 'paylink:status',
        version: 1,
        requestId: card.id,
        conversationId,
        status: card.status,
        statusLabel: card.statusLabel,
        amountText: card.amountText,
        orderNumber: card.orderNumber,
        payUrl: card.payUrl,
        at: new Date().toISOString(),
      };
      window.parent.postMessage(message, target);
    }
  }, [cards, conversationId, signedIn]);
}
