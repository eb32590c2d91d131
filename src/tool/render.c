/*
 * Images of the dot report (tool/render.h): graphviz renders them, an SVG
 * gets pan and zoom.  No global state: callable from any thread.
 */
#include "tool/render.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/file.h"

extern char **environ;

/* Reads the whole of fd (from its start) into out. */
static int slurp(int fd, struct cprof_buf *out)
{
    char chunk[65536];
    ssize_t n;

    if (lseek(fd, 0, SEEK_SET) < 0)
        return -errno;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (cprof_buf_append(out, chunk, (size_t)n))
            return -ENOMEM;
    }
    return 0;
}

/* A system call failed while rendering: the error from e (EIO when unset). */
static int sys_fail(struct cprof_diag *diag, const char *fmt, int e)
{
    e = e ? e : EIO;
    return cprof_diag_set(diag, -e, "rendering %s: %s", fmt, strerror(e));
}

/*
 * pprof's invokeDot.  Memory files carry both sides, so no pipe can
 * deadlock.
 */
int cprof_render_dot(struct cprof_buf *data, const char *fmt, struct cprof_diag *diag)
{
    char targ[16];
    char dotname[] = "dot";
    char *argv[] = {dotname, targ, NULL};
    posix_spawn_file_actions_t fa;
    struct cprof_buf img;
    int in = memfd_create("cprof-dot", MFD_CLOEXEC), out = memfd_create("cprof-img", MFD_CLOEXEC);
    int rc = 0, status;
    pid_t pid;

    snprintf(targ, sizeof(targ), "-T%s", fmt);
    if (in < 0 || out < 0 || cprof_fd_write_all(in, data->data, data->len) ||
        lseek(in, 0, SEEK_SET) < 0) {
        rc = sys_fail(diag, fmt, errno);
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    rc = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        rc =
            cprof_diag_set(diag, CPROF_EUSAGE,
                           "failed to execute dot. Is Graphviz installed? Error: %s", strerror(rc));
        goto out;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = cprof_diag_set(diag, CPROF_EUSAGE,
                            "failed to execute dot. Is Graphviz installed? Error: exit status %d",
                            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        goto out;
    }
    cprof_buf_init(&img, 0);
    if (slurp(out, &img) < 0) {
        cprof_buf_release(&img);
        rc = sys_fail(diag, fmt, errno);
        goto out;
    }
    cprof_buf_release(data);
    *data = img;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/*
 * Pan and zoom for the svg in a browser (pprof inserts SVGPan for this):
 * the wheel zooms around the pointer, dragging pans, by moving the
 * viewBox.  Our own few lines; the image stays plain SVG.
 */
static const char svg_script[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "(function () {\n"
    "  var svg = document.documentElement, vb = svg.viewBox.baseVal, drag = null;\n"
    "  if (!vb) return;\n"
    "  function pt(e) {\n"
    "    var r = svg.getBoundingClientRect();\n"
    "    var s = Math.max(vb.width / r.width, vb.height / r.height);\n"
    "    return {x: vb.x + (e.clientX - r.left) * s, y: vb.y + (e.clientY - r.top) * s, s: s};\n"
    "  }\n"
    "  svg.addEventListener('wheel', function (e) {\n"
    "    e.preventDefault();\n"
    "    var p = pt(e), k = e.deltaY < 0 ? 0.8 : 1.25;\n"
    "    vb.x = p.x - (p.x - vb.x) * k; vb.y = p.y - (p.y - vb.y) * k;\n"
    "    vb.width *= k; vb.height *= k;\n"
    "  }, {passive: false});\n"
    "  svg.addEventListener('mousedown', function (e) { drag = pt(e); });\n"
    "  svg.addEventListener('mousemove', function (e) {\n"
    "    if (!drag) return;\n"
    "    var p = pt(e); vb.x -= p.x - drag.x; vb.y -= p.y - drag.y;\n"
    "  });\n"
    "  window.addEventListener('mouseup', function () { drag = null; });\n"
    "})();\n"
    "]]></script>\n";

/*
 * pprof's massageSVG, our way: the image fills the window (width and
 * height 100%, the viewBox keeps the proportions) and gets svg_script.
 */
int cprof_render_massage_svg(struct cprof_buf *data, struct cprof_diag *diag)
{
    struct cprof_buf o;
    char *svg, *end, *close_tag;
    const char *d;

    if (cprof_buf_append(data, "", 1)) /* NUL-terminate for the searches */
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    d = (const char *)data->data;
    svg = strstr(d, "<svg");
    end = svg ? strchr(svg, '>') : NULL;
    close_tag = end ? strstr(end, "</svg>") : NULL;
    if (!close_tag) {
        data->len--;
        return 0;
    }
    cprof_buf_init(&o, 0);
    int rc = cprof_buf_append(&o, d, (size_t)(svg - d));
    /* The <svg ...> tag with its width and height replaced. */
    for (const char *s = svg; !rc && s < end;) {
        if ((strncmp(s, " width=\"", 8) == 0 || strncmp(s, " height=\"", 9) == 0)) {
            const char *v = strchr(s, '"') + 1, *q = strchr(v, '"');

            rc = cprof_buf_append(&o, s, (size_t)(v - s));
            if (!rc)
                rc = cprof_buf_append(&o, "100%\"", 5);
            s = q ? q + 1 : end;
            continue;
        }
        rc = cprof_buf_append(&o, s, 1);
        s++;
    }
    if (!rc)
        rc = cprof_buf_append(&o, end, (size_t)(close_tag - end));
    if (!rc)
        rc = cprof_buf_append(&o, svg_script, sizeof(svg_script) - 1);
    if (!rc)
        rc = cprof_buf_append(&o, close_tag, strlen(close_tag));
    if (rc) {
        cprof_buf_release(&o);
        return cprof_diag_set(diag, -ENOMEM, "out of memory");
    }
    cprof_buf_release(data);
    *data = o;
    return 0;
}
