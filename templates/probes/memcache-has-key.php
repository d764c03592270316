<?php
// lnmp-deploy: does this memcached hold this key? Asked of one store only (no pool, no failover), from a web
// host with the compiled PHP and its memcache extension:  php -- HOST PORT KEY < memcache-has-key.php
// Prints one JSON line; the key is a session id, never its data.
$host = $argv[1] ?? '';
$port = (int) ($argv[2] ?? 11211);
$key = $argv[3] ?? '';
$out = ['host' => $host, 'port' => $port, 'found' => false];
if ($host === '' || $key === '' || !class_exists('Memcache')) {
    $out['error'] = $host === '' || $key === '' ? 'usage: php -- HOST PORT KEY' : 'the memcache extension is not loaded';
    echo json_encode($out), "\n";
    exit(1);
}
$m = new Memcache();
if (!@$m->connect($host, $port, 3)) {
    $out['error'] = "cannot connect to $host:$port";
    echo json_encode($out), "\n";
    exit(1);
}
$value = $m->get($key);
$out['found'] = $value !== false;
$out['bytes'] = is_string($value) ? strlen($value) : 0;
echo json_encode($out), "\n";
