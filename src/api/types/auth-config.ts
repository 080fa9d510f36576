/** docker's types/registry.AuthConfig: what X-Registry-Auth carries and config.json's `auths` hold. */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** base64(username:password), as stored in config.json. */
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}
