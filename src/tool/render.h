/*
 * Images of the dot report: graphviz's `dot` renders them (pprof's
 * invokeDot), and an SVG gets pan and zoom for the browser (pprof's
 * massageSVG, our way).
 */
#ifndef CPROF_TOOL_RENDER_H
#define CPROF_TOOL_RENDER_H

struct cprof_buf;
struct cprof_diag;

/*
 * Runs `dot -T<fmt>` on the dot text in *data and replaces it with the
 * rendering.  0, or a negative code with pprof's reason in diag ("failed
 * to execute dot. Is Graphviz installed? ..."); *data is unchanged on
 * error.
 * Context: any thread (spawns a process; memory files, no pipes).
 */
int cprof_render_dot(struct cprof_buf *data, const char *fmt, struct cprof_diag *diag);

/*
 * Makes the SVG in *data fill the window (width and height 100%, the
 * viewBox keeps the proportions) and adds a script that pans and zooms.
 * Data that is not an SVG is left alone.  0 or -ENOMEM (reason in diag).
 * Context: any thread.
 */
int cprof_render_massage_svg(struct cprof_buf *data, struct cprof_diag *diag);

#endif /* CPROF_TOOL_RENDER_H */
