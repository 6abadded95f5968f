export * from './api-group.js';
export * from './spec.js';
