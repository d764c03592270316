<?php
// lnmp-deploy's session demo, its route for the cluster proof: ?write=VALUE stores VALUE in this session,
// without it the stored value is read back. One JSON line naming the web host that answered.
// Nothing about the server's configuration is shown: this page stays deployed.
header('Content-Type: application/json');
header('Cache-Control: no-store');
session_start();
if (isset($_GET['write'])) {
    $_SESSION['lnmp_demo'] = substr((string) $_GET['write'], 0, 128);
}
$out = [
    'app' => 'lnmp-deploy-session-demo',
    'host' => gethostname(),
    'session_id' => session_id(),
    'value' => $_SESSION['lnmp_demo'] ?? null,
];
session_write_close();
echo json_encode($out), "\n";
