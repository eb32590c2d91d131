/*
 * The /debug/pprof HTTP endpoint of the runtime (src/rt/http.c): Go's
 * net/http/pprof handlers, served by libmicrohttpd on a thread of its own.
 */
#ifndef CPROF_RT_HTTP_H
#define CPROF_RT_HTTP_H

/*
 * Starts serving on addr ("host:port", "[v6]:port", ":port" = every
 * interface; port 0 = any free port, announced on stderr).  Returns at
 * once: the address is resolved and bound by the server thread, which
 * warns once on stderr ("cprof: ...") and exits when that fails.  A
 * non-loopback address is refused unless CPROF_HTTP_ALLOW_REMOTE=1.
 * 0, CPROF_EBUSY (already serving) or -errno (no thread).
 * Context: any thread but a signal handler.
 */
int cprof__http_start(const char *addr);

/*
 * Stops the server and waits (briefly) for its thread; a CPU profile
 * it had started is stopped and discarded.  No-op when not serving.
 * Context: the library destructor, or any thread but the server's.
 */
void cprof__http_stop(void);

/*
 * Fork child handler: the child does not have the server thread; it
 * closes its copies of the server's sockets (a child holding the
 * listening socket would keep the port, and its queue, after the parent
 * exits) and forgets the server, so it can start its own.
 */
void cprof__http_fork_child(void);

#endif /* CPROF_RT_HTTP_H */
