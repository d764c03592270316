<?php
// lnmp-deploy: asks the running PHP-FPM for one script over FastCGI, as nginx would, and prints the
// response body. Run by PHP CLI from stdin:  php -- 127.0.0.1:9000 /var/lib/lnmp-deploy/fpm-probe/fpm-ini.php
// (or a unix socket path as the first argument). What it prints comes from FPM's own workers, so it
// shows the settings FPM really uses, not what a file on disk says.
error_reporting(E_ALL);
$listen = $argv[1] ?? '';
$script = $argv[2] ?? '';
if ($listen === '' || $script === '') {
    fwrite(STDERR, "usage: php -- LISTEN SCRIPT < fastcgi-client.php\n");
    exit(2);
}
$target = $listen[0] === '/' ? "unix://$listen" : "tcp://$listen";
$sock = @stream_socket_client($target, $errno, $errstr, 3);
if ($sock === false) {
    fwrite(STDERR, "cannot connect to $listen: $errstr\n");
    exit(1);
}
stream_set_timeout($sock, 5);

function record(int $type, string $content, int $id = 1): string {
    $len = strlen($content);
    $pad = (8 - $len % 8) % 8;
    return pack('CCnnCC', 1, $type, $id, $len, $pad, 0) . $content . str_repeat("\0", $pad);
}
function pair(string $name, string $value): string {
    $len = fn(int $n): string => $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
    return $len(strlen($name)) . $len(strlen($value)) . $name . $value;
}

$params = [
    'GATEWAY_INTERFACE' => 'FastCGI/1.0',
    'REQUEST_METHOD' => 'GET',
    'SCRIPT_FILENAME' => $script,
    'SCRIPT_NAME' => '/' . basename($script),
    'REQUEST_URI' => '/' . basename($script),
    'QUERY_STRING' => '',
    'SERVER_SOFTWARE' => 'lnmp-deploy-probe',
    'SERVER_NAME' => 'localhost',
    'SERVER_PROTOCOL' => 'HTTP/1.1',
    'REMOTE_ADDR' => '127.0.0.1',
    'CONTENT_LENGTH' => '0',
];
$body = '';
foreach ($params as $k => $v) {
    $body .= pair($k, $v);
}
// BEGIN_REQUEST (role responder, no keep-alive), PARAMS, end of PARAMS, empty STDIN
fwrite($sock, record(1, pack('nC', 1, 0) . str_repeat("\0", 5)) . record(4, $body) . record(4, '') . record(5, ''));

$stdout = '';
$stderr = '';
$ended = false;
while (!$ended) {
    $header = fread($sock, 8);
    if ($header === false || strlen($header) < 8) {
        break;
    }
    $h = unpack('Cversion/Ctype/nid/nlen/Cpad/Creserved', $header);
    $content = '';
    $want = $h['len'] + $h['pad'];
    while (strlen($content) < $want) {
        $chunk = fread($sock, $want - strlen($content));
        if ($chunk === false || $chunk === '') {
            break 2;
        }
        $content .= $chunk;
    }
    $content = substr($content, 0, $h['len']);
    if ($h['type'] === 6) {
        $stdout .= $content;
    } elseif ($h['type'] === 7) {
        $stderr .= $content;
    } elseif ($h['type'] === 3) {
        $ended = true;
    }
}
fclose($sock);
if (!$ended) {
    fwrite(STDERR, "no complete FastCGI response from $listen\n$stderr");
    exit(1);
}
// headers, a blank line, the body
$parts = preg_split("/\r?\n\r?\n/", $stdout, 2);
$headers = $parts[0] ?? '';
echo $parts[1] ?? '';
if (preg_match('/^Status:\s*(\d+)/mi', $headers, $m) && $m[1] !== '200') {
    fwrite(STDERR, "FPM answered status {$m[1]}\n$stderr");
    exit(1);
}
exit(0);
