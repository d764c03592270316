<?php
// lnmp-deploy: kept outside every web root and only ever requested by the FastCGI client from the host
// itself. Prints the session settings as PHP-FPM's workers see them.
header('Content-Type: application/json');
echo json_encode([
    'sapi' => PHP_SAPI,
    'save_handler' => ini_get('session.save_handler'),
    'save_path' => ini_get('session.save_path'),
    'memcache' => extension_loaded('memcache'),
]), "\n";
