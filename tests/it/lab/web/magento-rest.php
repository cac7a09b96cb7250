<?php
// m2auth's TEST DOUBLE of Magento's REST entry point (pub/index.php → Magento\Webapi\Controller\Rest).
// It is not Magento code: it answers the way Magento's REST layer answers, so that the web-server lab
// (tests/it/lab/web.rs) can prove what reaches PHP through a real Apache or nginx.
//
// tests/it/lab/web.rs prepends the configuration when it writes <store>/pub/index.php:
//   $LAB_TOKENS = [...];  // bearer tokens accepted (stand-ins for oauth_token / JWT rows)
//   $LAB_ADMINS = ['user' => 'password'];   // POST /V1/integration/admin/token
//   $LAB_ADMIN_TOKEN = '...';               // what that endpoint returns
//
// Sources mimicked (magento/magento2, 2.4):
// * Reading the header: Magento\Framework\Webapi\Rest\Request extends Laminas\Http\PhpEnvironment\Request.
//   laminas-http src/PhpEnvironment/Request.php setServer(): "This seems to be the only way to get the
//   Authorization header on Apache": when function_exists('apache_request_headers') and
//   $_SERVER['HTTP_AUTHORIZATION'] is not set, it copies apache_request_headers()['Authorization']
//   (exact key) into HTTP_AUTHORIZATION; then every non-empty HTTP_* $_SERVER key becomes a header.
//   REDIRECT_HTTP_AUTHORIZATION is NOT read. Under php-fpm / php-cgi, apache_request_headers() is built
//   from the same HTTP_* FastCGI params, so it cannot recover a header the web server did not pass.
// * Parsing it: Magento\Webapi\Model\Authorization\TokenUserContext::processRequest(): explode(" ", $value),
//   exactly 2 pieces, strtolower($pieces[0]) === 'bearer', else the request runs as a guest.
// * 401: Magento\Webapi\Controller\Rest\RequestValidator::checkPermissions() throws AuthorizationException
//   __("The consumer isn't authorized to access %resources.", ['resources' => implode(', ', $route->getAclResources())]);
//   Magento\Framework\Webapi\ErrorProcessor renders it as {"message": ..., "parameters": {...}} with HTTP 401.
// * 404: Magento\Webapi\Controller\Rest\Router::match() throws Magento\Framework\Webapi\Exception
//   __('Request does not match any route.') with HTTP 404 (a wrong method is a 404 too).
// * Token endpoint: Magento\Integration\Model\AdminTokenService::createAdminAccessToken() →
//   AuthenticationException __('The account sign-in was incorrect or your account is disabled temporarily.
//   Please wait and try again later.') → 401.
// * Accept: application/xml → Magento\Framework\Webapi\Rest\Response\Renderer\Xml: root node <response>,
//   numeric keys as <item>, DOMDocument::saveXML() (an XML declaration with version 1.0 only).
// * Resources of the routes below: Magento_Catalog/etc/webapi.xml (GET /V1/products, /V1/products/:sku →
//   Magento_Catalog::products), Magento_Customer/etc/webapi.xml (GET /V1/customers/me → self),
//   Magento_Sales/etc/webapi.xml (GET /V1/orders → Magento_Sales::sales), Magento_Directory
//   (GET /V1/directory/currency → anonymous), Magento_Integration (POST /V1/integration/admin/token →
//   anonymous); see ../shared/magento-reference/<Module>/etc/webapi.xml.

$LAB_TOKENS = $LAB_TOKENS ?? [];
$LAB_ADMINS = $LAB_ADMINS ?? [];
$LAB_ADMIN_TOKEN = $LAB_ADMIN_TOKEN ?? 'lab-admin-token';

function lab_wants_xml(): bool
{
    // Magento\Framework\Webapi\Rest\Response\RendererFactory: the first Accept type with a renderer wins;
    // no Accept / */* → JSON.
    $accept = $_SERVER['HTTP_ACCEPT'] ?? '';
    foreach (explode(',', $accept) as $type) {
        $type = strtolower(trim(explode(';', $type)[0]));
        if ($type === 'application/json' || $type === '*/*' || $type === 'application/*') {
            return false;
        }
        if ($type === 'application/xml' || $type === 'text/xml') {
            return true;
        }
    }
    return false;
}

// Written by hand (php-xml's DOMDocument is not installed with php-fpm), in the shape of
// Renderer\Xml + Magento\Framework\Xml\Generator: declaration, <response>, 2-space indent.
function lab_xml_scalar($v): string
{
    return htmlspecialchars(is_bool($v) ? ($v ? 'true' : 'false') : (string) $v, ENT_XML1);
}

function lab_xml_node(array $data, int $depth): string
{
    $isList = $data === [] || array_keys($data) === range(0, count($data) - 1);
    $pad = str_repeat('  ', $depth);
    $out = '';
    foreach ($data as $key => $value) {
        $name = $isList ? 'item' : preg_replace('/[^A-Za-z0-9_.-]/', '', str_replace([' ', ':'], '_', (string) $key));
        $out .= is_array($value)
            ? "$pad<$name>\n" . lab_xml_node($value, $depth + 1) . "$pad</$name>\n"
            : "$pad<$name>" . lab_xml_scalar($value) . "</$name>\n";
    }
    return $out;
}

function lab_respond(int $status, $data): void
{
    http_response_code($status);
    if (lab_wants_xml()) {
        header('Content-Type: application/xml; charset=utf-8');
        $inner = is_array($data) ? "\n" . lab_xml_node($data, 1) : lab_xml_scalar($data);
        echo "<?xml version=\"1.0\"?" . ">\n<response>$inner</response>\n";
    } else {
        header('Content-Type: application/json; charset=utf-8');
        echo json_encode($data, JSON_UNESCAPED_SLASHES);
    }
    exit;
}

function lab_not_authorized(string $resources): void
{
    lab_respond(401, [
        'message' => "The consumer isn't authorized to access %resources.",
        'parameters' => ['resources' => $resources],
    ]);
}

// --- the Authorization header, as Laminas + TokenUserContext see it -------------------------------
$server = $_SERVER;
if (function_exists('apache_request_headers')) {
    $apacheHeaders = apache_request_headers();
    if (!isset($server['HTTP_AUTHORIZATION']) && isset($apacheHeaders['Authorization'])) {
        $server['HTTP_AUTHORIZATION'] = $apacheHeaders['Authorization'];
    }
}
$authorization = (isset($server['HTTP_AUTHORIZATION']) && $server['HTTP_AUTHORIZATION'])
    ? (string) $server['HTTP_AUTHORIZATION'] : '';
$bearer = null;
if ($authorization !== '') {
    $pieces = explode(' ', $authorization);
    if (count($pieces) === 2 && strtolower($pieces[0]) === 'bearer') {
        $bearer = $pieces[1];
    }
}
$authenticated = $bearer !== null && in_array($bearer, $LAB_TOKENS, true);

// --- routing: /rest[/<store>]/V1/... and /index.php/rest/... ---------------------------------------
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$method = strtoupper($_SERVER['REQUEST_METHOD'] ?? 'GET');

// --- /graphql, as Magento\GraphQl\Controller\GraphQl answers on 2.4.4-2.4.7 ---------------------------
// * The token: the same TokenUserContext; a token it cannot use is dropped silently (a guest).
// * Magento\CustomerGraphQl\Model\Resolver\Customer::resolve(): a non-customer context throws
//   GraphQlAuthorizationException __('The current customer isn't authorized.'); the controller answers
//   HTTP 200 with {"errors":[{"message","locations","path","extensions":{"category":"graphql-authorization"}}],
//   "data":{"customer":null}} (only the first error outside developer mode).
// Here a lab token stands for a customer token; only `customer` and `storeConfig` are served.
if (preg_match('#^(?:/index\.php)?/graphql/?$#', $path)) {
    header('Content-Type: application/json; charset=utf-8');
    $body = json_decode((string) file_get_contents('php://input'), true);
    $query = is_array($body) ? (string) ($body['query'] ?? '') : (string) ($_GET['query'] ?? '');
    $data = [];
    if (preg_match('/\bstoreConfig\b/', $query)) {
        $data['storeConfig'] = ['code' => 'default'];
    }
    if (preg_match('/\bcustomer\s*\{/', $query)) {
        if (!$authenticated) {
            $data['customer'] = null;
            http_response_code(200);
            echo json_encode([
                'errors' => [[
                    'message' => "The current customer isn't authorized.",
                    'locations' => [['line' => 1, 'column' => 3]],
                    'path' => ['customer'],
                    'extensions' => ['category' => 'graphql-authorization'],
                ]],
                'data' => $data,
            ], JSON_UNESCAPED_SLASHES);
            exit;
        }
        $data['customer'] = ['email' => 'lab@example.test'];
    }
    http_response_code(200);
    echo json_encode(['data' => $data], JSON_UNESCAPED_SLASHES);
    exit;
}

// --- /soap/<store>?services=..., as Magento\Webapi\Controller\Soap answers a call ----------------------
// An unauthorised caller's call: Magento\Webapi\Model\Soap\Fault (SOAP 1.2, env:Sender, the Reason with
// its placeholder, the parameters in env:Detail) at HTTP 200 (Controller\Soap::_prepareErrorResponse).
// Only catalogProductRepositoryV1 (Magento_Catalog::products) is served; a lab token may use it.
if (preg_match('#^(?:/index\.php)?/soap(?:/[^/]*)?/?$#', $path)) {
    $services = (string) ($_GET['services'] ?? '');
    header('Content-Type: application/soap+xml; charset=utf-8');
    http_response_code(200);
    $ns = htmlspecialchars(rawurlencode('http://' . ($_SERVER['HTTP_HOST'] ?? 'localhost') . "/soap/default?services=$services"), ENT_XML1);
    if (!$authenticated) {
        echo '<?xml version="1.0" encoding="UTF-8"?>' . "\n"
            . '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:m="' . $ns . '">'
            . '<env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code>'
            . '<env:Reason><env:Text xml:lang="en">The consumer isn\'t authorized to access %resources.</env:Text></env:Reason>'
            . '<env:Detail><m:GenericFault><m:Parameters><m:GenericFaultParameter><m:key>resources</m:key>'
            . '<m:value>' . htmlspecialchars($services, ENT_XML1) . '</m:value></m:GenericFaultParameter>'
            . '</m:Parameters></m:GenericFault></env:Detail></env:Fault></env:Body></env:Envelope>' . "\n";
        exit;
    }
    echo '<?xml version="1.0" encoding="UTF-8"?>' . "\n"
        . '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ns1="' . $ns . '">'
        . '<env:Body><ns1:catalogProductRepositoryV1GetResponse><result><sku>lab</sku></result>'
        . '</ns1:catalogProductRepositoryV1GetResponse></env:Body></env:Envelope>' . "\n";
    exit;
}
if (!preg_match('#^(?:/index\.php)?/rest(?:/(?!V\d+/)([^/]+))?/(V\d+/.*)$#', $path, $m)) {
    // Not a REST URL: Magento's storefront would answer; a plain page is enough here.
    http_response_code(200);
    header('Content-Type: text/html; charset=UTF-8');
    echo "<!doctype html><title>lab store</title><p>m2auth lab storefront</p>\n";
    exit;
}
$route = '/' . rtrim($m[2], '/');

if ($method === 'GET' && $route === '/V1/lab/server') {
    // Lab diagnostics (not Magento): which variables reached PHP, as booleans only.
    $raw = function_exists('apache_request_headers') ? apache_request_headers() : [];
    $rawHas = false;
    foreach ($raw as $k => $v) {
        if (strtolower((string) $k) === 'authorization') {
            $rawHas = true;
        }
    }
    lab_respond(200, [
        'HTTP_AUTHORIZATION' => isset($_SERVER['HTTP_AUTHORIZATION']),
        'REDIRECT_HTTP_AUTHORIZATION' => isset($_SERVER['REDIRECT_HTTP_AUTHORIZATION']),
        'apache_request_headers' => $rawHas,
        'magento_sees_authorization' => $authorization !== '',
        'magento_sees_bearer' => $bearer !== null,
        'sapi' => PHP_SAPI,
    ]);
}

if ($method === 'POST' && $route === '/V1/integration/admin/token') {
    $body = json_decode((string) file_get_contents('php://input'), true);
    $user = is_array($body) ? ($body['username'] ?? null) : null;
    $pass = is_array($body) ? ($body['password'] ?? null) : null;
    if (is_string($user) && is_string($pass) && isset($LAB_ADMINS[$user]) && $LAB_ADMINS[$user] === $pass) {
        lab_respond(200, $LAB_ADMIN_TOKEN);
    }
    lab_respond(401, [
        'message' => 'The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later.',
    ]);
}

if ($method === 'GET' && $route === '/V1/directory/currency') {
    // anonymous in Magento_Directory/etc/webapi.xml
    lab_respond(200, ['base_currency_code' => 'USD', 'base_currency_symbol' => '$', 'default_display_currency_code' => 'USD']);
}

// [method, route regex, ACL resource, answer when allowed]
$routes = [
    ['GET', '#^/V1/products$#', 'Magento_Catalog::products',
        ['items' => [], 'search_criteria' => ['filter_groups' => []], 'total_count' => 0]],
    ['GET', '#^/V1/products/([^/]+)$#', 'Magento_Catalog::products', null],
    ['GET', '#^/V1/customers/me$#', 'self',
        ['id' => 1, 'group_id' => 1, 'email' => 'lab@example.test', 'firstname' => 'Lab', 'lastname' => 'Customer']],
    ['GET', '#^/V1/orders$#', 'Magento_Sales::sales',
        ['items' => [], 'search_criteria' => ['filter_groups' => []], 'total_count' => 0]],
    ['GET', '#^/V1/store/storeViews$#', 'Magento_Backend::store',
        [['id' => 1, 'code' => 'default', 'name' => 'Default Store View', 'website_id' => 1, 'store_group_id' => 1, 'is_active' => 1]]],
];
foreach ($routes as [$rMethod, $rRegex, $resource, $answer]) {
    if ($rMethod !== $method || !preg_match($rRegex, $route, $rm)) {
        continue;
    }
    if (!$authenticated) {
        lab_not_authorized($resource);
    }
    if ($answer === null) {
        $answer = ['id' => 1, 'sku' => urldecode($rm[1]), 'name' => 'Lab product', 'type_id' => 'simple', 'status' => 1];
    }
    lab_respond(200, $answer);
}

lab_respond(404, ['message' => 'Request does not match any route.']);
