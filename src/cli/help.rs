//! The examples of `--help` (long help), one block per command; `-h` shows the short help
//! without them. Kept here so that args.rs stays the list of commands and options.

pub const MAIN: &str = "\
Examples:
  m2auth diagnose                       every auth problem of the store in the current folder
  m2auth diagnose --request 'GET /V1/products' --token \"$TOKEN\"
                                        why this call is refused
  m2auth diagnose --curl 'curl -H \"Authorization: Bearer …\" https://shop.example.com/rest/V1/…'
  m2auth fix                            the fixes, as a plan (fix --apply carries them out)

`m2auth COMMAND --help` shows a command's options and examples.";

pub const DIAGNOSE: &str = "\
Without a request, diagnose looks at the whole store: every auth problem it has for anyone.

Examples:
  m2auth diagnose
  m2auth diagnose --request 'GET /V1/products' --token \"$TOKEN\"
  m2auth diagnose --request 'GET /V1/orders' --oauth KEY,SECRET,TOKEN,TOKEN_SECRET
  m2auth diagnose --admin-user jane --password-file pw.txt
  m2auth diagnose --curl 'curl -H \"Authorization: Bearer …\" https://shop.example.com/rest/V1/…'
  m2auth diagnose --dump backup.sql.gz --offline --format json
  m2auth diagnose --offline --root /srv/shop1 --root /srv/shop2 --format jsonl";

pub const REQUEST: &str = "\
Examples:
  m2auth request --request 'GET https://shop.example.com/rest/V1/products' --token \"$TOKEN\"
  m2auth request --request 'GET https://shop.example.com/rest/V1/products' --canary
  m2auth request --request 'GET https://shop.example.com/rest/V1/orders' --integration ERP";

pub const INFO: &str = "\
Examples:
  m2auth info
  m2auth info --root /var/www/magento --format json";

pub const AUDIT: &str = "\
Examples:
  m2auth audit
  m2auth audit --format json";

pub const ACL_CHECK: &str = "\
Examples:
  m2auth acl:check --request 'GET /V1/products' --integration ERP
  m2auth acl:check --request 'POST /V1/orders' --admin-user jane
  m2auth acl:check --request 'GET /V1/products' --token \"$TOKEN\"";

pub const TOKEN_INSPECT: &str = "\
Without a Magento root (none found, or --root not given outside one) the token is only decoded:
its kind, user and times; the signature and revocation are listed as not checked.

Examples:
  m2auth token:inspect \"$TOKEN\"
  m2auth token:inspect \"$TOKEN\" --root /var/www/magento --format json";

pub const ACL_MATRIX: &str = "\
Examples:
  m2auth acl:matrix --integration ERP
  m2auth acl:matrix --admin-user jane --format csv
  m2auth acl:matrix --integration ERP --format html --output erp-matrix.html
  m2auth acl:matrix --token \"$TOKEN\" --live";

pub const ACL_GRANT: &str = "\
Examples:
  m2auth acl:grant --integration ERP --resource Magento_Catalog::products
  m2auth acl:grant --integration ERP --resource Magento_Catalog::products --apply
  m2auth acl:grant --role 3 --resource Magento_Sales::sales --verbose   (with the SQL)";

pub const FIX: &str = "\
One fix per problem: where both a vhost line and the .htaccess rule would pass the header on,
the one that works for this server is chosen (--all-server-fixes gives both).

Examples:
  m2auth fix
  m2auth fix --apply
  m2auth fix --request 'GET /V1/products' --token \"$TOKEN\" --apply";

pub const UNDO: &str = "\
Examples:
  m2auth undo --list
  m2auth undo                    the plan for the newest entry
  m2auth undo --apply            reverse it
  m2auth undo 20261128T091403.123Z-acl-grant --apply";

pub const CHANGE_PASSWORD: &str = "\
Examples:
  m2auth admin:user:change-password jane
  m2auth admin:user:change-password --username=jane --password-file pw.txt";

pub const UNLOCK: &str = "\
Examples:
  m2auth admin:user:unlock jane";

pub const INTEGRATION_LIST: &str = "\
Examples:
  m2auth integration:list
  m2auth integration:list --format json";

pub const INTEGRATION_SHOW: &str = "\
Examples:
  m2auth integration:show ERP
  m2auth integration:show 3";

pub const INTEGRATION_ACTIVATE: &str = "\
Examples:
  m2auth integration:activate ERP";

pub const OAUTH_SIGN: &str = "\
Needs no Magento root: only the request and the integration's four credentials.

Examples:
  m2auth oauth:sign --request 'GET https://shop.example.com/rest/V1/products' \\
      --oauth KEY,SECRET,TOKEN,TOKEN_SECRET
  m2auth oauth:sign --request 'POST https://shop.example.com/rest/V1/orders' \\
      --oauth KEY,SECRET,TOKEN,TOKEN_SECRET --data '{…}' -H 'Content-Type: application/json'";
