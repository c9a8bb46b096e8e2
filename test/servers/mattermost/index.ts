// Mattermost test server: see README.md.
export { startMattermost } from './server';
export type { MattermostOptions, MattermostServer } from './server';
export { isValidMobileAuthRedirectUrl } from './sso';
