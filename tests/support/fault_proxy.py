#!/usr/bin/env python3
"""An HTTP fault-injection proxy for registry tests.

It sits between a registry client (buildtool, skopeo, curl) and a real OCI registry on
127.0.0.1, forwards every request, and breaks the answers that a rules file names: wrong
statuses, corrupted or short bodies, lying headers, redirects, stalls, endless bodies.
Python 3.11 standard library only.

Command line
------------
    fault_proxy.py --upstream http://127.0.0.1:RPORT
                   --listen 127.0.0.1:0 [--listen 127.0.0.2:0 ...]
                   --rules RULES.json --log LOG.jsonl --ready READY_FILE

--listen   IP:PORT to listen on; repeatable, each is its own listener; port 0 picks a free
           port. Requests can be told apart by the listener they arrived on ("listener"
           in rules and in the log).
--ready    Written once every listener is bound: one line "IP:PORT" per listener, in the
           order of the --listen options. Written under a temporary name and renamed, so a
           test that polls for the file never reads it half written.
--rules    The rules (below). Re-read whenever its mtime, size or inode changes, so tests
           may rewrite it between commands (write and rename it to be safe). A missing or
           empty file means no rules: every request is forwarded untouched. A file that
           does not parse is reported on stderr and the previous rules stay in force.
--log      One JSON object per request is appended (and flushed) as it is answered:
             {"time": 1700000000.5, "listener": "127.0.0.1:40001", "method": "GET",
              "path": "/v2/x/blobs/sha256:...?q=1", "headers": {"Authorization": "..."},
              "rule": "r1" or null, "status": 200 or null}
           "headers" holds every request header as received (Authorization verbatim;
           repeated headers joined with ", "); "status" is what was answered (null when the
           request failed before any answer head went out).

The proxy runs until SIGTERM or SIGINT and then exits 0 at once (answers in flight are cut).

Forwarding
----------
Requests go to the upstream with the client's Host header unchanged (distribution builds
its absolute upload Location URLs from Host, so they point back at the proxy), minus the
hop-by-hop headers. Request bodies (Content-Length or chunked) are read whole and sent with
a Content-Length. Answers are streamed back in 64 KiB pieces with a Content-Length; an
upstream answer without one (chunked) is read whole first. A Location header naming the
upstream's own host:port is rewritten to the listener that received the request. HTTP/1.1
keep-alive is supported towards the client; every request opens a new upstream connection.

Rules
-----
RULES.json holds a JSON list of rule objects, tried in order; the first that matches a
request applies, and a request no rule matches is forwarded untouched:

    {"id": "r1",                 the name logged and used to count "times"
     "method": "GET",            optional: a method or a list of them (any case)
     "path": "/blobs/sha256:",   optional: Python regex, re.search on path+query
     "listener": "127.0.0.2",    optional: only requests arriving on this IP or IP:PORT
     "times": 1,                 optional: the rule applies to its first N matches only
                                 (then it is skipped); counts live in memory per id and
                                 survive reloads, so a rule with a new id starts at 0
     "action": "forward",        default "forward"; see below
     ...parameters}

Actions and their parameters:

"status"    Answer without contacting the upstream.
              status   int (default 500)
              headers  dict of answer headers, e.g. {"WWW-Authenticate": "Basic realm=x"}
              body     string (a JSON object or list is serialized); default empty
            e.g. 401 with WWW-Authenticate, 403, 429 with Retry-After, 500..504.

"forward"   Forward to the upstream, then change the answer with any of:
              set_headers     dict: set or replace answer headers (Docker-Content-Digest,
                              Content-Type, Content-Range, ...). A Content-Length given
                              here is sent verbatim while the body stays what the rules
                              produce: a lying length. When it does not match the bytes
                              sent, the connection is closed after the body (a client
                              that reuses it may take the excess bytes of a too-small
                              length for its next answer).
              drop_headers    list of header names to remove from the answer
              flip_byte       K: the body byte at offset K is XORed with 0xff
              append          string appended after the body (Content-Length grows)
              truncate_after  N: a consistent short answer: Content-Length N and only the
                              first N body bytes; the connection stays usable
              truncate_fraction  F in 0..1: the same with N = floor(F * upstream length)
              drop_after      N: keep the upstream Content-Length, send N body bytes, then
                              abort the TCP connection (SO_LINGER 0: the client sees a
                              reset and a short body)
              drop_fraction   F: the same with N = floor(F * upstream length)
              ignore_range    true: drop Range (and If-Range) from the request sent
                              upstream, so it answers 200 with the whole body
              delay           seconds to sleep before the answer head is sent
              stall_after     N, with stall S seconds: send N body bytes, sleep S seconds,
                              then continue normally
              trickle         bytes per second: pace the body (about 10 writes a second)
              replace_body_file  path: the body is this file's content instead of the
                              upstream's; the upstream status and headers stay, except a
                              Content-Length matching the file (set_headers still applies)
            The body changes apply in this order: replace_body_file, flip_byte, append,
            truncate_*; then drop_*, stall_after and trickle shape how it is sent. A HEAD
            answer gets the Content-Length the same changes would give a GET, and no body.

"redirect"  Answer with a redirect, not contacting the upstream.
              status    int (default 307)
              location  string in which "{path}" becomes the request's path+query and
                        "{self}" the receiving listener's "http://IP:PORT";
                        e.g. "http://127.0.0.2:PORT{path}"; "{self}{path}" without
                        "times" is a redirect loop
              headers   dict of extra answer headers

"endless"   Answer 200 with Transfer-Encoding: chunked and a body that never ends (until
            the client closes the connection).
              headers   dict of answer headers (e.g. a Content-Type)
              chunk     string sent as every chunk; default 64 KiB of '{"a":{"a":...'

"big_body"  Answer 200 with a huge body generated as it is sent (never held in memory).
              size      Content-Length in bytes (default 1 GiB)
              fill      string repeated to fill it (default "A")
              headers   dict of answer headers

The "forward" parameters work with the other actions too where they make sense: delay,
set_headers and drop_headers with all of them; the body changes (flip_byte, append,
truncate_*) with "status" and "big_body"; drop_after, stall_after/stall and trickle with
"status", "big_body" and "endless".
"""
import argparse
import fcntl
import http
import http.client
import json
import math
import os
import re
import signal
import socket
import socketserver
import struct
import sys
import termios
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

PIECE = 64 * 1024
# Headers that describe one connection, not the message (RFC 9110 7.6.1); never forwarded.
# Content-Length and Expect go too: the proxy reads request bodies whole and sets its own.
HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
              'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
              'expect', 'content-length'}
ENDLESS_CHUNK = ('{"a":' * (PIECE // 5 + 1))[:PIECE]


def warn(msg):
    """One line on stderr per problem."""
    sys.stderr.write('fault_proxy: %s\n' % ' '.join(str(msg).split()))
    sys.stderr.flush()


class Aborted(Exception):
    """The connection to the client was cut on purpose (drop_after)."""


class UpstreamError(Exception):
    """The upstream failed; before the answer head that becomes a 502."""


class Rules:
    """The rules file, re-read when it changes, and the per-id match counts."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.stamp = None  # (inode, mtime_ns, size) of the file the rules came from
        self.rules = []    # (rule dict, compiled path regex or None)
        self.counts = {}   # rule key -> how many times it applied

    def _reload(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.stamp, self.rules = None, []
            return
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self.stamp:
            return
        try:
            with open(self.path, encoding='utf-8') as f:
                text = f.read()
            data = json.loads(text) if text.strip() else []
            if not isinstance(data, list):
                raise ValueError('the rules must be a JSON list')
            rules = []
            for rule in data:
                if not isinstance(rule, dict):
                    raise ValueError('a rule is not an object: %r' % (rule,))
                regex = re.compile(rule['path']) if rule.get('path') else None
                rules.append((rule, regex))
        except (OSError, ValueError, re.error) as e:
            # Perhaps caught half written: keep the old rules, read it again next time.
            warn('cannot read rules %s: %s' % (self.path, e))
            return
        self.stamp, self.rules = stamp, rules

    def match(self, method, path, listener):
        """The rule for this request, or None; counts it against its "times"."""
        with self.lock:
            self._reload()
            for rule, regex in self.rules:
                methods = rule.get('method')
                if methods:
                    if isinstance(methods, str):
                        methods = [methods]
                    if method.upper() not in (m.upper() for m in methods):
                        continue
                if regex and not regex.search(path):
                    continue
                where = rule.get('listener')
                if where and where not in (listener, listener.rsplit(':', 1)[0]):
                    continue
                key = rule.get('id') or json.dumps(rule, sort_keys=True)
                if 'times' in rule and self.counts.get(key, 0) >= int(rule['times']):
                    continue
                self.counts[key] = self.counts.get(key, 0) + 1
                return rule
        return None


class Log:
    """LOG.jsonl: one JSON object a line, written whole under a lock and flushed."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, 'a', encoding='utf-8')

    def write(self, entry):
        line = json.dumps(entry) + '\n'
        with self.lock:
            self.file.write(line)
            self.file.flush()


class Answer:
    """What goes back to the client.

    headers is a list of (name, value); body an iterable of bytes (None: no body);
    length the body length that rules and Content-Length are computed from (None: unknown).
    """

    def __init__(self, status, headers, body=None, length=None, reason=None, chunked=False):
        self.status = status
        self.reason = reason or phrase(status)
        self.headers = list(headers)
        self.body = body
        self.length = length
        self.chunked = chunked  # body pieces are already chunk-framed


def phrase(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return 'Status'


def set_header(headers, name, value):
    """Replaces every header `name` (any case) in the list by one with `value`."""
    headers[:] = [(k, v) for k, v in headers if k.lower() != name.lower()]
    headers.append((name, str(value)))


def get_header(headers, name):
    for k, v in headers:
        if k.lower() == name.lower():
            return v
    return None


def fill_bytes(pattern, size):
    """`size` bytes of `pattern` repeated, made PIECE by PIECE."""
    pattern = pattern or b'A'
    block = pattern * max(1, PIECE // len(pattern))  # whole patterns: every piece starts one
    left = size
    while left > 0:
        n = min(left, len(block))
        yield block[:n]
        left -= n


def flipped(pieces, offset):
    """The pieces with the byte at `offset` XORed with 0xff."""
    pos = 0
    for piece in pieces:
        if pos <= offset < pos + len(piece):
            i = offset - pos
            piece = piece[:i] + bytes([piece[i] ^ 0xff]) + piece[i + 1:]
        pos += len(piece)
        yield piece


def limited(pieces, limit):
    """The first `limit` bytes of the pieces."""
    if limit <= 0:
        return
    for piece in pieces:
        if len(piece) >= limit:
            yield piece[:limit]
            return
        limit -= len(piece)
        yield piece


def as_bytes(value):
    if value is None:
        return b''
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return str(value).encode('utf-8')


def shape_body(rule, body, length):
    """Applies replace_body_file, flip_byte, append and truncate_* to a body.

    body is an iterable of pieces or None (a HEAD: only the length is computed); length is
    the body's length or None. Returns the new (body, length).
    """
    if rule.get('replace_body_file'):
        with open(rule['replace_body_file'], 'rb') as f:
            data = f.read()
        body, length = (None if body is None else [data]), len(data)
    upstream_length = length
    if body is not None and rule.get('flip_byte') is not None:
        body = flipped(body, int(rule['flip_byte']))
    extra = as_bytes(rule.get('append'))
    if extra:
        if body is not None:
            body = _chain(body, [extra])
        if length is not None:
            length += len(extra)
    cut = None
    if rule.get('truncate_after') is not None:
        cut = int(rule['truncate_after'])
    elif rule.get('truncate_fraction') is not None and upstream_length is not None:
        cut = math.floor(float(rule['truncate_fraction']) * upstream_length)
    if cut is not None:
        if body is not None:
            body = limited(body, cut)
        length = cut if length is None else min(length, cut)
    return body, length


def _chain(*iterables):
    for it in iterables:
        yield from it


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive unless the client says otherwise

    # --- plumbing ---------------------------------------------------------------------

    def log_message(self, fmt, *args):
        # BaseHTTPRequestHandler's own complaints, e.g. a TLS hello (skopeo tries https
        # first) is a "Bad request version"; escaped so binary junk stays on one line.
        msg = (fmt % args).encode('ascii', 'backslashreplace').decode('ascii')
        warn('%s: %s' % (self.listener_name(), msg))

    def log_request(self, code='-', size='-'):
        pass  # every request goes to the JSON log instead

    def listener_name(self):
        ip, port = self.connection.getsockname()[:2]
        return '%s:%d' % (ip, port)

    def read_request_body(self):
        """The whole request body as bytes, or None when the request has none."""
        if 'chunked' in self.headers.get('Transfer-Encoding', '').lower():
            data = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b';', 1)[0].strip() or b'x', 16)  # ValueError: bad
                if size == 0:
                    break
                data += self.rfile.read(size)
                self.rfile.readline(65537)  # the CRLF after the chunk
            while self.rfile.readline(65537) not in (b'\r\n', b'\n', b''):
                pass  # trailer fields, dropped
            return bytes(data)
        if self.headers.get('Content-Length') is not None:
            n = int(self.headers['Content-Length'])
            data = self.rfile.read(n)
            if len(data) != n:
                raise ConnectionResetError('request body cut short')
            return data
        return None

    def write_log(self, status):
        if self.logged:
            return
        self.logged = True
        headers = {}
        for k, v in self.headers.items():
            headers[k] = headers[k] + ', ' + v if k in headers else v
        self.server.log.write({
            'time': time.time(), 'listener': self.listener_name(), 'method': self.command,
            'path': self.path, 'headers': headers,
            'rule': self.rule.get('id') if self.rule else None, 'status': status})

    # --- one request ------------------------------------------------------------------

    def proxy(self):
        self.logged = False
        self.rule = None
        self.upstream_conn = None
        try:
            try:
                body = self.read_request_body()
            except ValueError:
                self.close_connection = True
                self.send_answer(Answer(400, [('Content-Length', '0')], [], 0), {})
                return
            self.rule = self.server.rules.match(self.command, self.path, self.listener_name())
            rule = self.rule or {}
            action = rule.get('action', 'forward')
            try:
                if action == 'forward':
                    answer = self.forward(rule, body)
                else:
                    answer = self.synthesize(rule, action)
            except (UpstreamError, OSError, http.client.HTTPException) as e:
                warn('%s %s: upstream: %s' % (self.command, self.path, e))
                msg = b'fault_proxy: upstream failed\n'
                answer = Answer(502, [('Content-Type', 'text/plain')], [msg], len(msg))
                rule = {}  # the rule's changes were meant for the upstream's answer
            self.send_answer(answer, rule)
        except Aborted:
            self.close_connection = True
        except (UpstreamError, http.client.HTTPException) as e:
            # The upstream failed after the answer head went out: cut the answer short.
            warn('%s %s: upstream: %s' % (self.command, self.path, e))
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True  # the client went away: nothing to say
        finally:
            if self.upstream_conn is not None:
                self.upstream_conn.close()
            self.write_log(None)  # only if nothing was answered

    def forward(self, rule, body):
        up = self.server.upstream
        conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=600)
        self.upstream_conn = conn
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        drop = set(HOP_BY_HOP)
        # Connection may name further hop-by-hop headers.
        for token in self.headers.get('Connection', '').split(','):
            drop.add(token.strip().lower())
        if rule.get('ignore_range'):
            drop |= {'range', 'if-range'}
        if 'Host' not in self.headers:
            conn.putheader('Host', up.netloc)
        for k, v in self.headers.items():
            if k.lower() not in drop:
                conn.putheader(k, v)
        if body is not None or self.command in ('POST', 'PUT', 'PATCH'):
            conn.putheader('Content-Length', str(len(body or b'')))
        conn.endheaders(body)
        resp = conn.getresponse()

        headers = []
        for k, v in resp.getheaders():
            if k.lower() in HOP_BY_HOP:
                continue
            if k.lower() == 'location':
                v = self.rewrite_location(v)
            headers.append((k, v))
        answer = Answer(resp.status, headers, reason=resp.reason)
        if self.command == 'HEAD' or resp.status in (204, 304) or resp.status < 200:
            # No body; a HEAD's Content-Length still describes the GET's body.
            declared = resp.getheader('Content-Length')
            if self.command == 'HEAD' and declared and declared.isdigit():
                answer.length = int(declared)
        elif resp.length is not None and not resp.chunked:
            answer.length = resp.length
            answer.body = self.stream(resp, resp.length)
        else:
            data = resp.read()  # chunked or close-delimited: small in practice
            answer.length, answer.body = len(data), [data]
        return answer

    def stream(self, resp, length):
        left = length
        while left > 0:
            piece = resp.read(min(PIECE, left))
            if not piece:
                raise UpstreamError('upstream body ended %d bytes early' % left)
            left -= len(piece)
            yield piece

    def rewrite_location(self, location):
        up = self.server.upstream
        prefix = '%s://%s' % (up.scheme, up.netloc)
        if location.startswith(prefix) and location[len(prefix):len(prefix) + 1] in ('', '/', '?'):
            return 'http://%s%s' % (self.listener_name(), location[len(prefix):])
        return location

    def synthesize(self, rule, action):
        headers = [(k, str(v)) for k, v in (rule.get('headers') or {}).items()]
        if action == 'status':
            data = as_bytes(rule.get('body'))
            return Answer(int(rule.get('status', 500)), headers, [data], len(data))
        if action == 'redirect':
            location = str(rule.get('location', '{self}{path}'))
            location = location.replace('{path}', self.path).replace(
                '{self}', 'http://' + self.listener_name())
            set_header(headers, 'Location', location)
            return Answer(int(rule.get('status', 307)), headers, [], 0)
        if action == 'big_body':
            size = int(rule.get('size', 1 << 30))
            return Answer(200, headers, fill_bytes(as_bytes(rule.get('fill', 'A')), size), size)
        if action == 'endless':
            chunk = as_bytes(rule.get('chunk', ENDLESS_CHUNK)) or ENDLESS_CHUNK.encode()
            framed = b'%x\r\n%s\r\n' % (len(chunk), chunk)

            def forever():
                while True:
                    yield framed
            set_header(headers, 'Transfer-Encoding', 'chunked')
            return Answer(200, headers, forever(), None, chunked=True)
        raise UpstreamError('unknown action %r in rule %r' % (action, rule.get('id')))

    # --- sending ----------------------------------------------------------------------

    def send_answer(self, answer, rule):
        body, length = answer.body, answer.length
        head_only = self.command == 'HEAD' or answer.status in (204, 304) or answer.status < 200
        if not answer.chunked:
            if head_only:
                _, length = shape_body(rule, None, length)
            else:
                body, length = shape_body(rule, body, length)
            if length is not None:
                set_header(answer.headers, 'Content-Length', length)
        for name in rule.get('drop_headers') or []:
            answer.headers = [(k, v) for k, v in answer.headers if k.lower() != name.lower()]
        overrides = list((rule.get('set_headers') or {}).items())
        if rule.get('action', 'forward') != 'forward':
            # A Content-Length among a made-up answer's "headers" is a lie on purpose too.
            overrides[:0] = [(k, v) for k, v in (rule.get('headers') or {}).items()
                             if k.lower() == 'content-length']
        for name, value in overrides:
            set_header(answer.headers, name, value)
        if self.close_connection:
            set_header(answer.headers, 'Connection', 'close')

        if rule.get('delay'):
            time.sleep(float(rule['delay']))
        head = ['HTTP/1.1 %d %s\r\n' % (answer.status, answer.reason)]
        head += ['%s: %s\r\n' % (k, v) for k, v in answer.headers]
        head.append('\r\n')
        self.wfile.write(''.join(head).encode('latin-1', 'replace'))
        self.write_log(answer.status)
        if head_only:
            return

        declared = get_header(answer.headers, 'Content-Length')
        try:
            declared = int(declared) if declared is not None else None
        except ValueError:
            declared = None
        if declared is None and not answer.chunked:
            self.close_connection = True  # the body ends when the connection does
        drop_at = rule.get('drop_after')
        if drop_at is None and rule.get('drop_fraction') is not None and length is not None:
            drop_at = math.floor(float(rule['drop_fraction']) * length)
        sent = self.send_body(body or [], rule, drop_at)
        if drop_at is not None:
            self.abort()  # drop_after beyond the body: send all of it, then cut anyway
        if declared is not None and sent != declared:
            self.close_connection = True  # a lying Content-Length: stop here

    def send_body(self, pieces, rule, drop_at):
        """Writes the pieces, honouring drop_after, stall_after/stall and trickle."""
        stall_at = rule.get('stall_after')
        stall_at = int(stall_at) if stall_at is not None else None
        rate = float(rule['trickle']) if rule.get('trickle') else None
        drop_at = int(drop_at) if drop_at is not None else None
        sent, start, stalled = 0, time.monotonic(), False
        for piece in pieces:
            while True:
                # Write up to the next event: the drop point, the stall point, or for
                # trickle a tenth of a second's worth.
                n = len(piece)
                if drop_at is not None:
                    n = min(n, drop_at - sent)
                if stall_at is not None and not stalled:
                    n = min(n, stall_at - sent)
                if rate:
                    n = min(n, max(1, int(rate / 10)))
                if n > 0:
                    self.wfile.write(piece[:n])
                    piece = piece[n:]
                    sent += n
                if drop_at is not None and sent >= drop_at:
                    self.abort()
                if stall_at is not None and not stalled and sent >= stall_at:
                    stalled = True
                    time.sleep(float(rule.get('stall', 0)))
                    start += float(rule.get('stall', 0))
                if rate:
                    wait = start + sent / rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                if not piece:
                    break
        return sent

    def abort(self):
        """Cuts the connection with a TCP reset once what was written has left."""
        sock = self.connection
        try:
            # Wait (briefly) until the kernel sent everything: a reset discards unsent data.
            deadline = time.monotonic() + 5
            buf = bytearray(4)
            while time.monotonic() < deadline:
                fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf)
                if struct.unpack('i', buf)[0] == 0:
                    break
                time.sleep(0.01)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            # Close the descriptor itself: socketserver would shutdown() first (a clean FIN).
            os.close(sock.detach())
        except OSError as e:
            warn('abort: %s' % e)
        raise Aborted()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = proxy


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError,
                            TimeoutError, Aborted)):
            return
        warn('%s: %s: %s' % (client_address, type(exc).__name__, exc))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    ap.add_argument('--upstream', required=True, help='http://IP:PORT of the registry')
    ap.add_argument('--listen', action='append', required=True, help='IP:PORT (port 0: free)')
    ap.add_argument('--rules', required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--ready', required=True)
    args = ap.parse_args()

    upstream = urllib.parse.urlsplit(args.upstream)
    if upstream.scheme != 'http' or not upstream.hostname:
        ap.error('--upstream must be http://HOST:PORT')
    rules, log = Rules(args.rules), Log(args.log)
    servers = []
    for spec in args.listen:
        host, _, port = spec.rpartition(':')
        server = Server((host, int(port)), Handler)
        server.upstream, server.rules, server.log = upstream, rules, log
        servers.append(server)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()

    tmp = '%s.tmp.%d' % (args.ready, os.getpid())
    with open(tmp, 'w') as f:
        for server in servers:
            f.write('%s:%d\n' % server.server_address[:2])
    os.replace(tmp, args.ready)

    def stop(*_):
        # Answers in flight (an endless body, a stall) are cut: do not wait for their
        # threads. Log lines are flushed as they are written.
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        signal.pause()


if __name__ == '__main__':
    main()
