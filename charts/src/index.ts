export * from './api-group.js';
export * from './crd.js';
export * from './example.js';
export * from './operator/install.js';
export * from './operator/permissions.js';
export * from './operator/shutdown.js';
export * from './render/index.js';
export * from './spec.js';
