/*
 * A small single-threaded HTTP/1.1 server on loopback for cprof load's
 * tests: keep-alive, one epoll loop, so a stall stalls every connection
 * (as a pause in a real server does).  Prints its port, then serves until
 * killed.  Paths:
 *   /ok          200 "hello\n"
 *   /code/N      status N, empty body
 *   /echo        200 "ok"; appends the request (head and body) to LOGFILE
 *   /stall       200 "hello\n"; the STALL_AT-th /stall request sleeps 200 ms first
 *   /close       200 with Connection: close, then closes
 *   /redirect    302 to /ok
 * Usage: load_server LOGFILE STALL_AT
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct client {
    int fd;
    size_t len;
    char buf[65536];
};

static FILE *logf;
static long stall_at, stalls;

static void reply(struct client *c, int code, const char *extra, const char *body)
{
    char out[512];
    int n = snprintf(out, sizeof(out), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n%s", code,
                     strlen(body), extra, body);
    if (write(c->fd, out, (size_t)n) != n)
        perror("write");
}

/* Handles one complete request of hlen head bytes and blen body bytes; 1 to close. */
static int handle(struct client *c, size_t hlen, size_t blen)
{
    char path[256] = "";

    sscanf(c->buf, "%*s %255s", path);
    if (strcmp(path, "/ok") == 0) {
        reply(c, 200, "", "hello\n");
    } else if (strncmp(path, "/code/", 6) == 0) {
        reply(c, atoi(path + 6), "", "");
    } else if (strcmp(path, "/echo") == 0) {
        fwrite(c->buf, 1, hlen + blen, logf);
        fputs("\n--end--\n", logf);
        fflush(logf);
        reply(c, 200, "", "ok");
    } else if (strcmp(path, "/stall") == 0) {
        if (++stalls == stall_at) {
            struct timespec ts = {0, 200000000};
            nanosleep(&ts, NULL);
        }
        reply(c, 200, "", "hello\n");
    } else if (strcmp(path, "/close") == 0) {
        reply(c, 200, "Connection: close\r\n", "bye\n");
        return 1;
    } else if (strcmp(path, "/redirect") == 0) {
        reply(c, 302, "Location: /ok\r\n", "");
    } else {
        reply(c, 404, "", "not found\n");
    }
    return 0;
}

/* Serves every complete request in c's buffer; 1 when the connection should close. */
static int serve(struct client *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
        size_t hlen, blen = 0;

        if (!end)
            return c->len == sizeof(c->buf);
        hlen = (size_t)(end - c->buf) + 4;
        cl = memmem(c->buf, hlen, "Content-Length:", 15);
        if (cl)
            blen = (size_t)atol(cl + 15);
        if (c->len < hlen + blen)
            return 0;
        if (handle(c, hlen, blen))
            return 1;
        memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
        c->len -= hlen + blen;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int ls, ep, one = 1;

    if (argc != 3 || !(logf = fopen(argv[1], "a"))) {
        fprintf(stderr, "usage: load_server LOGFILE STALL_AT\n");
        return 2;
    }
    stall_at = atol(argv[2]);
    ls = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 1024) < 0) {
        perror("bind");
        return 1;
    }
    getsockname(ls, (struct sockaddr *)&a, &alen);
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &e);
    for (;;) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            if (!c) {
                int fd = accept(ls, NULL, NULL);
                if (fd < 0)
                    continue;
                c = calloc(1, sizeof(*c));
                c->fd = fd;
                struct epoll_event ce = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                continue;
            }
            ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
            if (r > 0) {
                c->len += (size_t)r;
                if (!serve(c))
                    continue;
            }
            close(c->fd);
            free(c);
        }
    }
}
