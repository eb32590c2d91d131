/*
 * A pre-fork server: the parent binds a loopback port, forks one worker
 * and only waits for it.  The worker answers each HTTP request after
 * burning some CPU in handle_request; the path /quit ends it.  The port
 * is written to PORTFILE once listening.
 *
 * Usage: prefork PORTFILE [MS_PER_REQUEST]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spin.h"

__attribute__((noinline)) static void handle_request(double secs)
{
    burn(secs);
    spin_sink++; /* no tail call: handle_request keeps its frame */
}

static int worker(int lfd, double secs)
{
    for (;;) {
        char req[2048];
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        ssize_t n = read(c, req, sizeof(req) - 1);
        req[n > 0 ? n : 0] = 0;
        int quit = strstr(req, "GET /quit") != NULL;
        if (!quit)
            handle_request(secs);
        const char *resp = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
        if (write(c, resp, strlen(resp)) < 0) {
            /* the client went away */
        }
        close(c);
        if (quit)
            return 0;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    double secs = (argc > 2 ? atof(argv[2]) : 20) / 1000.0;
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, st;

    if (argc < 2) {
        fprintf(stderr, "usage: prefork PORTFILE [MS_PER_REQUEST]\n");
        return 2;
    }
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0 ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
        perror("prefork: listen");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0)
        exit(worker(lfd, secs)); /* exit(): the profile is written */
    close(lfd);
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 1;
    fprintf(f, "%d %d\n", ntohs(sa.sin_port), (int)pid);
    fclose(f);
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return 1;
    printf("prefork ok\n");
    return 0;
}
