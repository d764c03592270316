<?php
// lnmp-deploy: the cluster proof's probe. Through the load balancer with one cookie jar:
// ?write=VALUE stores VALUE in the session, otherwise the stored value is read back.
// Prints one JSON line naming the host that served it and the session handler in effect.
// A failed session write is only a warning in PHP: the proof compares values, not exit codes.
header('Content-Type: application/json');
header('Cache-Control: no-store');
$started = session_start();
if (isset($_GET['write'])) {
    $_SESSION['lnmp_probe'] = (string) $_GET['write'];
}
$value = $_SESSION['lnmp_probe'] ?? null;
$out = [
    'host' => gethostname(),
    'session_id' => session_id(),
    'value' => $value,
    'handler' => ini_get('session.save_handler'),
    'save_path' => ini_get('session.save_path'),
    'started' => $started,
];
session_write_close();
echo json_encode($out), "\n";
