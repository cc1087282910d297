import type { Channel } from '../app/domain/lifecycle';
import type { Random } from './random';

/** A team's character: how its customers behave and what it sells. Agents vary around it. */
export interface TeamProfile {
  id: string;
  name: string;
  /** Share of the sent links the customer opens. */
  openRate: number;
  /** Of opened links: share paid and share declined; the rest expire. */
  payRate: number;
  declineRate: number;
  /** Share of sent links the agent cancels before the customer opens them. */
  cancelRate: number;
  /** Of opened links that end paid, the share with a failed attempt first. */
  paymentFailureRate: number;
  /** Whether prices end in .99 and round numbers (shop prices) or are arbitrary balances. */
  shopPrices: boolean;
  currencies: readonly (readonly [string, number])[];
  channels: readonly (readonly [Channel, number])[];
  /** Relative request volume of the team's agents. */
  volume: number;
  /** [reason, lowest USD price, highest USD price] */
  products: readonly (readonly [string, number, number])[];
  agents: readonly (readonly [id: string, name: string])[];
}

export const TEAMS: readonly TeamProfile[] = [
  {
    id: 'tm_retail',
    name: 'Retail',
    openRate: 0.86,
    payRate: 0.81,
    declineRate: 0.07,
    cancelRate: 0.04,
    paymentFailureRate: 0.06,
    volume: 1.2,
    shopPrices: true,
    currencies: [
      ['USD', 55],
      ['EUR', 12],
      ['GBP', 12],
      ['ZAR', 15],
      ['JPY', 3],
      ['KWD', 3],
    ],
    channels: [
      ['whatsapp', 50],
      ['sms', 15],
      ['webchat', 25],
      ['email', 10],
    ],
    products: [
      ['Floral Oasis Dress', 45, 140],
      ['Trail Runner Sneakers', 60, 180],
      ['Linen Summer Shirt', 25, 70],
      ['Wireless Earbuds Pro', 80, 250],
      ['Ceramic Cookware Set', 90, 320],
      ['Leather Crossbody Bag', 70, 260],
      ['Smartwatch Series 5', 150, 420],
      ['Kids School Backpack', 20, 55],
      ['Espresso Machine', 180, 650],
      ['Queen Duvet Set', 50, 160],
    ],
    agents: [
      ['ag_01', 'Aisha Patel'],
      ['ag_02', 'Liam Murphy'],
      ['ag_03', 'Sofia Rossi'],
      ['ag_04', 'Daniel Kim'],
      ['ag_05', 'Naledi Dlamini'],
      ['ag_06', 'Mateo Fernández'],
      ['ag_17', 'Thandi Mokoena'],
    ],
  },
  {
    id: 'tm_collections',
    name: 'Collections',
    openRate: 0.8,
    payRate: 0.69,
    declineRate: 0.13,
    cancelRate: 0.042,
    paymentFailureRate: 0.12,
    volume: 1,
    shopPrices: false,
    currencies: [
      ['USD', 60],
      ['ZAR', 20],
      ['GBP', 10],
      ['EUR', 10],
    ],
    channels: [
      ['sms', 45],
      ['whatsapp', 30],
      ['email', 20],
      ['webchat', 5],
    ],
    products: [
      ['Overdue balance settlement', 120, 2400],
      ['Instalment arrears', 60, 600],
      ['Account reactivation fee', 25, 90],
      ['Final notice balance', 200, 3000],
      ['Payment plan instalment', 40, 400],
    ],
    agents: [
      ['ag_07', 'Sipho Nkosi'],
      ['ag_08', 'Emma Johansson'],
      ['ag_09', 'Carlos Mendes'],
      ['ag_10', 'Priya Sharma'],
      ['ag_11', 'Grace Okafor'],
    ],
  },
  {
    id: 'tm_travel',
    name: 'Travel',
    openRate: 0.88,
    payRate: 0.78,
    declineRate: 0.08,
    cancelRate: 0.035,
    paymentFailureRate: 0.1,
    volume: 0.8,
    shopPrices: true,
    currencies: [
      ['USD', 45],
      ['EUR', 20],
      ['GBP', 10],
      ['JPY', 10],
      ['KWD', 8],
      ['ZAR', 7],
    ],
    channels: [
      ['email', 30],
      ['whatsapp', 35],
      ['webchat', 25],
      ['sms', 10],
    ],
    products: [
      ['Return flight booking', 180, 1400],
      ['Hotel deposit, 2 nights', 120, 600],
      ['Airport transfer', 30, 110],
      ['Travel insurance', 25, 160],
      ['Safari day tour', 90, 380],
      ['City break package', 400, 2200],
      ['Seat upgrade', 40, 300],
    ],
    agents: [
      ['ag_12', 'Yuki Tanaka'],
      ['ag_13', 'Omar Al-Sabah'],
      ['ag_14', 'Chloe Dubois'],
      ['ag_15', 'Lerato Khumalo'],
      ['ag_16', 'Noah Williams'],
    ],
  },
  {
    id: 'tm_telesales',
    name: 'Telesales',
    openRate: 0.84,
    payRate: 0.75,
    declineRate: 0.1,
    cancelRate: 0.042,
    paymentFailureRate: 0.07,
    volume: 1.1,
    shopPrices: true,
    currencies: [
      ['USD', 60],
      ['ZAR', 15],
      ['GBP', 10],
      ['EUR', 10],
      ['KWD', 5],
    ],
    channels: [
      ['whatsapp', 45],
      ['sms', 35],
      ['webchat', 10],
      ['email', 10],
    ],
    products: [
      ['Fibre 100 Mbps, first month', 30, 70],
      ['Premium streaming, annual', 90, 180],
      ['Mobile plan upgrade', 20, 60],
      ['Home security kit', 150, 480],
      ['Solar backup battery', 600, 1800],
      ['Gym membership, 3 months', 80, 240],
    ],
    agents: [
      ['ag_18', 'Jabu Mthembu'],
      ['ag_19', 'Olivia Brown'],
      ['ag_20', 'Luca Bianchi'],
      ['ag_21', 'Fatima Hassan'],
      ['ag_22', 'Ethan Clarke'],
    ],
  },
  {
    id: 'tm_support',
    name: 'Support',
    openRate: 0.9,
    payRate: 0.85,
    declineRate: 0.05,
    cancelRate: 0.03,
    paymentFailureRate: 0.05,
    volume: 0.6,
    shopPrices: true,
    currencies: [
      ['USD', 60],
      ['EUR', 10],
      ['GBP', 10],
      ['ZAR', 10],
      ['JPY', 5],
      ['KWD', 5],
    ],
    channels: [
      ['webchat', 50],
      ['whatsapp', 30],
      ['email', 15],
      ['sms', 5],
    ],
    products: [
      ['Replacement charger', 15, 45],
      ['Delivery fee', 5, 25],
      ['Extended warranty', 40, 180],
      ['Repair call-out fee', 35, 95],
      ['Reconnection fee', 10, 40],
    ],
    agents: [
      ['ag_23', 'Zanele Mahlangu'],
      ['ag_24', 'Hiro Sato'],
      ['ag_25', 'Isabella García'],
    ],
  },
];

/** Units of each currency per US dollar, roughly; amounts are converted and rounded like local prices. */
const PER_USD: Record<string, number> = { USD: 1, EUR: 0.92, GBP: 0.79, ZAR: 18.2, JPY: 150, KWD: 0.307 };

/** An amount in minor units (exponent: JPY 0, USD 2, KWD 3) that looks like a real price or balance. */
export function localAmount(
  random: Random,
  usd: number,
  currency: string,
  exponent: number,
  shopPrice: boolean,
): number {
  const major = usd * (PER_USD[currency] ?? 1);
  if (exponent === 0) {
    const step = major >= 10_000 ? 100 : 10;
    return Math.max(step, Math.round(major / step) * step);
  }
  const unit = 10 ** exponent;
  if (!shopPrice) return Math.max(1, Math.round(major * unit));
  // Three-decimal currencies (KWD) price in steps of a quarter.
  if (exponent === 3) return Math.max(250, Math.round(major * 4) * 250);
  const whole = Math.max(1, Math.round(major));
  const ending = random.weighted([
    ['99', 6],
    ['00', 3],
    ['50', 1],
  ] as const);
  return ending === '99' ? whole * unit - 1 : ending === '50' ? whole * unit - unit / 2 : whole * unit;
}

interface Region {
  /** E.164 number: country code and a plausible mobile number. */
  phone: (random: Random) => string;
  first: readonly string[];
  last: readonly string[];
}

const digits = (random: Random, count: number) => {
  let text = '';
  for (let i = 0; i < count; i++) text += random.int(0, 9);
  return text;
};

const REGIONS: Record<string, Region> = {
  us: {
    phone: (r) =>
      `+1${r.pick(['212', '305', '312', '415', '512', '617', '702', '917'])}${r.int(200, 999)}${digits(r, 4)}`,
    first: ['James', 'Mary', 'Michael', 'Jennifer', 'David', 'Ashley', 'Chris', 'Jessica', 'Tyler', 'Megan'],
    last: ['Smith', 'Johnson', 'Garcia', 'Miller', 'Davis', 'Martinez', 'Wilson', 'Anderson', 'Taylor', 'Moore'],
  },
  de: {
    phone: (r) => `+49${r.pick(['151', '160', '170', '176'])}${digits(r, 8)}`,
    first: ['Lukas', 'Anna', 'Felix', 'Lea', 'Jonas', 'Marie', 'Paul', 'Hannah'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Becker', 'Wagner'],
  },
  fr: {
    phone: (r) => `+33${r.pick(['6', '7'])}${digits(r, 8)}`,
    first: ['Camille', 'Louis', 'Léa', 'Hugo', 'Chloé', 'Jules', 'Manon'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Petit', 'Durand'],
  },
  es: {
    phone: (r) => `+34${r.pick(['6', '7'])}${digits(r, 8)}`,
    first: ['Valeria', 'Alejandro', 'Lucía', 'Pablo', 'Martina', 'Diego', 'Carmen'],
    last: ['García', 'López', 'Sánchez', 'Romero', 'Navarro', 'Torres', 'Ruiz'],
  },
  uk: {
    phone: (r) => `+447${r.int(400, 999)}${digits(r, 6)}`,
    first: ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Ava', 'Jack', 'Poppy'],
    last: ['Jones', 'Williams', 'Evans', 'Roberts', 'Walker', 'Wright', 'Hughes'],
  },
  za: {
    phone: (r) => `+27${r.pick(['60', '71', '72', '73', '74', '76', '79', '82', '83', '84'])}${digits(r, 7)}`,
    first: ['Thabo', 'Lindiwe', 'Pieter', 'Ayanda', 'Nomvula', 'Ruan', 'Kagiso', 'Zinhle', 'Mandla'],
    last: ['Nkosi', 'Van der Merwe', 'Botha', 'Ndlovu', 'Naidoo', 'Mokoena', 'Pillay', 'Zulu'],
  },
  jp: {
    phone: (r) => `+81${r.pick(['70', '80', '90'])}${digits(r, 8)}`,
    first: ['Haruto', 'Yui', 'Sota', 'Hina', 'Ren', 'Aoi', 'Kenji'],
    last: ['Sato', 'Suzuki', 'Takahashi', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura'],
  },
  kw: {
    phone: (r) => `+965${r.pick(['5', '6', '9'])}${digits(r, 7)}`,
    first: ['Abdullah', 'Fatima', 'Yousef', 'Noura', 'Khalid', 'Mariam', 'Hamad'],
    last: ['Al-Sabah', 'Al-Mutairi', 'Al-Enezi', 'Al-Ajmi', 'Al-Rashidi', 'Al-Kandari'],
  },
};

const REGIONS_BY_CURRENCY: Record<string, readonly (readonly [string, number])[]> = {
  USD: [
    ['us', 80],
    ['za', 8],
    ['uk', 6],
    ['kw', 3],
    ['jp', 3],
  ],
  EUR: [
    ['de', 40],
    ['fr', 30],
    ['es', 30],
  ],
  GBP: [['uk', 100]],
  ZAR: [['za', 100]],
  JPY: [['jp', 100]],
  KWD: [['kw', 100]],
};

/** A customer that fits the currency: phone in E.164, name sometimes first-name only or absent. */
export function customerFor(random: Random, currency: string): { phone: string; name?: string } {
  const region = REGIONS[random.weighted(REGIONS_BY_CURRENCY[currency] ?? [['us', 1]])]!;
  const phone = region.phone(random);
  const style = random.next();
  if (style < 0.05) return { phone };
  const first = random.pick(region.first);
  return { phone, name: style < 0.15 ? first : `${first} ${random.pick(region.last)}` };
}

/** Relative speed and likelihood of a customer opening a link, by channel. */
export const CHANNEL_BEHAVIOUR: Record<Channel, { openFactor: number; meanOpenSeconds: number; sendFailRate: number }> =
  {
    whatsapp: { openFactor: 1.03, meanOpenSeconds: 30, sendFailRate: 0.03 },
    sms: { openFactor: 0.98, meanOpenSeconds: 55, sendFailRate: 0.045 },
    webchat: { openFactor: 1.05, meanOpenSeconds: 15, sendFailRate: 0.015 },
    email: { openFactor: 0.86, meanOpenSeconds: 110, sendFailRate: 0.03 },
  };

export const SEND_FAILURE_REASONS = [
  'Recipient unreachable',
  'Number not on WhatsApp',
  'Carrier rejected the message',
  'Channel provider timeout',
] as const;

export const PAYMENT_FAILURE_REASONS = [
  'Insufficient funds',
  'Card expired',
  '3-D Secure authentication failed',
  'Do not honor',
  'Incorrect security code',
] as const;

/** Sandbox test cards: brand and last four digits only, never a card number. */
export const SANDBOX_CARDS: readonly (readonly [{ brand: string; last4: string }, number])[] = [
  [{ brand: 'visa', last4: '4242' }, 70],
  [{ brand: 'mastercard', last4: '4444' }, 22],
  [{ brand: 'amex', last4: '8431' }, 8],
];

/** Relative request volume by hour of day (local), busy 09:00–18:00 with a lunch dip. */
export const HOUR_OF_DAY_WEIGHT = [
  0.04, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.35, 0.75, 1, 1.1, 1.1, 0.85, 0.95, 1.05, 1.05, 1, 0.85, 0.55, 0.4, 0.3,
  0.22, 0.12, 0.07,
] as const;

/** Relative request volume by day of week, Sunday first. */
export const DAY_OF_WEEK_WEIGHT = [0.25, 1, 1.05, 1, 1, 0.95, 0.45] as const;
