<?php
// lnmp-deploy: the procedure's memcache connect test, made to fail loudly. Run by PHP CLI from stdin,
// so no file is left in a web root:  php -- HOST PORT < memcache-connect.php
// Prints one JSON line; exits non-zero on any failure or mismatch (the seed's version exits 0 on both).
error_reporting(E_ALL);
$host = $argv[1] ?? '';
$port = (int) ($argv[2] ?? 11211);
$out = ['host' => $host, 'port' => $port, 'client' => gethostname(), 'ok' => false];
$fail = function (string $step, string $detail) use (&$out): void {
    $out['step'] = $step;
    $out['error'] = $detail;
    echo json_encode($out), "\n";
    exit(1);
};
if ($host === '') {
    $fail('args', 'usage: php -- HOST PORT < memcache-connect.php');
}
if (!class_exists('Memcache')) {
    $fail('extension', 'the memcache extension is not loaded (php -m)');
}
$m = new Memcache();
if (!@$m->connect($host, $port, 3)) {
    $fail('connect', "cannot connect to $host:$port");
}
$key = 'lnmp-deploy-probe-' . gethostname() . '-' . getmypid();
$value = 'Memcache connect OK ' . bin2hex(random_bytes(8));
if (!$m->set($key, $value, 0, 60)) {
    $fail('set', "set $key failed");
}
$got = $m->get($key);
if ($got !== $value) {
    $fail('get', 'read back ' . var_export($got, true) . " instead of $value");
}
if (!$m->delete($key)) {
    $fail('delete', "delete $key failed");
}
$out['ok'] = true;
$out['value'] = $value;
echo json_encode($out), "\n";
exit(0);
