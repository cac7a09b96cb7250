<?php
// The front controller of bench/run.sh section 5 (acl:matrix --live): index.php of a private
// Apache + php-fpm, reached for every URL through FallbackResource. It is not Magento: it answers
// each REST call the way Magento's REST layer would for the bench role, in Magento's order
// (Magento\Webapi\Controller\Rest: token, route, ACL, body):
//
// * another token than the bench token: 401 "The consumer isn't authorized to access %resources."
//   (a guest, as TokenUserContext leaves an unknown token);
// * no route for the method and path: 404 "Request does not match any route." (Rest\Router::match);
// * a route the role is denied: 401 with its resources (RequestValidator::checkPermissions);
// * an allowed POST/PUT: 400 "Decoding error." (m2auth's probes carry the broken body `{`,
//   rejected by the JSON deserializer before any service runs);
// * an allowed GET: 404 "The entity that was requested doesn't exist." when the route has an
//   :id-like placeholder (m2auth sends dummy values), else 200 with an empty search result.
//
// Which routes the role may call comes from bench-routes.php next to this file, written by
// bench/run.sh from `m2auth acl:matrix --role 4 --format json` (offline): the routes by
// "METHOD url" and in ksort(SORT_STRING) order of their url, each as [method, regex, allowed,
// resources, has placeholders]. A path is matched as Magento's Rest\Config::getRestRoutes and
// Rest\Router::match do: the route declared with exactly this path and method, else the last
// route that matches in url order. The tests' REST double (tests/it/lab/web/magento-rest.php) knows
// five routes and answers 404 for every other one, so it cannot stand in for a store with 500.

header('Content-Type: application/json; charset=utf-8');

function bench_answer(int $status, $body): void
{
    http_response_code($status);
    echo json_encode($body, JSON_UNESCAPED_SLASHES);
    exit;
}

[$token, $exact, $routes] = require __DIR__ . '/bench-routes.php';

$authorization = (string) ($_SERVER['HTTP_AUTHORIZATION'] ?? '');
if ($authorization !== 'Bearer ' . $token) {
    bench_answer(401, ['message' => "The consumer isn't authorized to access %resources.",
        'parameters' => ['resources' => 'Magento_Backend::admin']]);
}

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$method = strtoupper($_SERVER['REQUEST_METHOD'] ?? 'GET');
$route = preg_match('#^(?:/index\.php)?/rest(?:/(?!V\d+/)[^/]+)?(/V\d+/.*)$#', $path, $m) ? $m[1] : null;

$found = $route === null ? null : ($exact["$method $route"] ?? null);
if ($route !== null && $found === null) {
    $trimmed = '/' . trim($route, '/');
    foreach ($routes as $r) {
        if ($r[0] === $method && preg_match($r[1], $trimmed)) {
            $found = $r;
        }
    }
}
if ($found === null) {
    bench_answer(404, ['message' => 'Request does not match any route.']);
}
[, , $allowed, $resources, $hasParams] = $found;
if (!$allowed) {
    bench_answer(401, ['message' => "The consumer isn't authorized to access %resources.",
        'parameters' => ['resources' => $resources]]);
}
if ($method === 'POST' || $method === 'PUT') {
    bench_answer(400, ['message' => 'Decoding error.']);
}
if ($hasParams) {
    bench_answer(404, ['message' => "The entity that was requested doesn't exist. Verify the entity and try again."]);
}
bench_answer(200, ['items' => [], 'search_criteria' => ['filter_groups' => []], 'total_count' => 0]);
