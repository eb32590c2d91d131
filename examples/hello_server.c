/*
 * A tiny single-threaded HTTP/1.1 server on loopback for `make demo`:
 * keep-alive, one epoll loop, and a page whose "rendering" (render_page)
 * costs a few microseconds of CPU, so that a CPU profile taken while
 * `cprof load` drives it shows where a request's time goes.  Writes its
 * port, then its pid, to PORTFILE (a line each), then serves until killed.
 *
 *   cprof run -http 127.0.0.1:6060 -- build/examples/hello_server port.txt &
 *   cprof load -z 3s http://127.0.0.1:$(head -1 port.txt)/ &
 *   cprof -top http://127.0.0.1:6060/debug/pprof/profile?seconds=2
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct client {
    int fd;
    size_t len;
    char buf[8192];
};

/* The page's body: a checksum worked out the slow way, for the profile to find. */
__attribute__((noinline)) static unsigned long render_page(const char *path, size_t len)
{
    unsigned long h = 1469598103934665603ul;

    for (int round = 0; round < 2000; round++)
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)path[i]) * 1099511628211ul;
    return h;
}

/* Answers each complete request in c->buf; -1 when the client is gone. */
static int serve(struct client *c)
{
    char *end;

    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL) {
        char *sp = memchr(c->buf, ' ', c->len), body[64], resp[256];
        size_t used = (size_t)(end + 4 - c->buf), plen = 0;
        int bl, n;

        if (sp)
            plen = strcspn(sp + 1, " \r\n");
        bl = snprintf(body, sizeof(body), "hello %016lx\n", render_page(sp ? sp + 1 : "/", plen));
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s",
                     bl, body);
        if (write(c->fd, resp, (size_t)n) != n)
            return -1;
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[64];
    FILE *pf;

    if (argc != 2) {
        fprintf(stderr, "usage: hello_server PORTFILE\n");
        return 2;
    }
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 512) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
        perror("hello_server");
        return 1;
    }
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    pf = fopen(argv[1], "w");
    if (!pf) {
        perror(argv[1]);
        return 1;
    }
    fprintf(pf, "%d\n%d\n", ntohs(a.sin_port), (int)getpid());
    fclose(pf);
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            if (!c) {
                int fd = accept(ls, NULL, NULL);
                struct client *nc = fd >= 0 ? calloc(1, sizeof(*nc)) : NULL;
                if (!nc) {
                    if (fd >= 0)
                        close(fd);
                    continue;
                }
                nc->fd = fd;
                ev.data.ptr = nc;
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                continue;
            }
            ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
            if (r <= 0 || (c->len += (size_t)r, serve(c) < 0) || c->len == sizeof(c->buf)) {
                close(c->fd);
                free(c);
            }
        }
    }
}
