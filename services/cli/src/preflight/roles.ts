/** The roles an operator's node can take; what each needs differs (a GPU, a permit, bandwidth). */
export const ROLES = ['miner', 'validator', 'aggregator'] as const;
/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** True for a known role. */
export const isRole = (name: string): name is Role => (ROLES as readonly string[]).includes(name);
