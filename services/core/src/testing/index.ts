/** Test fixtures of @cohort/core (`@cohort/core/testing`): never imported by production code. */
export { fixtureAggregate } from './aggregate-fixture.js';
export type { AggregateFixture } from './aggregate-fixture.js';
