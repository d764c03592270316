/**
 * The nginx and PHP versions a config gets when it names none: the newest pair proven to build and serve
 * here, both with a verified sha256 in the artifact table (src/artifacts.ts re-exports them beside it; a unit
 * test holds both facts). A module of its own because config/schema.ts reads them and artifacts.ts reads the
 * schema.
 */
export const DEFAULT_NGINX_VERSION = '1.26.3'
export const DEFAULT_PHP_VERSION = '8.4.24'
