<?php
// lnmp-deploy's session-login demo: what the cluster proof logs into when no phpMyAdmin is given.
// Any user name with the password "demo" logs in; the page names the web host that served it, so a
// user who stays logged in while the host changes is seeing the shared session store at work.
session_start();
$host = htmlspecialchars(gethostname(), ENT_QUOTES);
$error = '';
if (($_POST['action'] ?? '') === 'logout') {
    $_SESSION = [];
    session_destroy();
    header('Location: ./');
    exit;
}
if (($_POST['action'] ?? '') === 'login') {
    $user = trim((string) ($_POST['user'] ?? ''));
    if ($user !== '' && hash_equals('demo', (string) ($_POST['password'] ?? ''))) {
        session_regenerate_id(true);
        $_SESSION['user'] = $user;
        $_SESSION['logged_in_on'] = gethostname();
        header('Location: ./');
        exit;
    }
    $error = 'Wrong user name or password.';
}
$user = isset($_SESSION['user']) ? htmlspecialchars($_SESSION['user'], ENT_QUOTES) : null;
$since = htmlspecialchars((string) ($_SESSION['logged_in_on'] ?? ''), ENT_QUOTES);
$sid = htmlspecialchars(session_id(), ENT_QUOTES);
header('X-Served-By: ' . gethostname());
?>
<!doctype html>
<html>
<head><meta charset="utf-8"><title>lnmp-deploy session demo</title></head>
<body>
<p>Served by <strong id="served-by"><?= $host ?></strong></p>
<?php if ($user !== null): ?>
  <p id="status">Logged in as <strong id="user"><?= $user ?></strong> (logged in on <?= $since ?>, session <?= $sid ?>)</p>
  <form method="post"><input type="hidden" name="action" value="logout"><button>Log out</button></form>
<?php else: ?>
  <p id="status">Not logged in</p>
  <?php if ($error !== ''): ?><p id="error"><?= htmlspecialchars($error, ENT_QUOTES) ?></p><?php endif; ?>
  <form method="post">
    <input type="hidden" name="action" value="login">
    <label>User <input name="user"></label>
    <label>Password <input name="password" type="password"></label>
    <button>Log in</button>
  </form>
<?php endif; ?>
</body>
</html>
