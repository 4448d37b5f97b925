/** berth's version, shown by `berth --version` and the API. Kept in step with package.json. */
export const VERSION = '0.1.0';
