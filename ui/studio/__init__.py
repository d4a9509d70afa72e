"""The studio page's pieces, one concern a module:

* :mod:`.settings`  the studio's settings and its link (each run setting's label, range and link key:
                    nst.config.SETTINGS; the codec: nst.link; the URL itself: ui.link);
* :mod:`.panel`     the settings panel (pictures and widgets);
* :mod:`.session`   this browser session: its id, its tab, its run record, the buttons' callbacks;
* :mod:`.slot`      the server's one optimisation slot and its queue;
* :mod:`.runner`    one run: wait, optimise, draw it live (throttled by wall time), record;
* :mod:`.results`   the latest result, its timelapse, downloads, earlier runs;
* :mod:`.store`     where runs are kept and who may see them (private unless a shared gallery);
* :mod:`.sweep`     one setting, several values, a live grid, a PNG sheet;
* :mod:`.media`     JPEG frames, the animated WebP timelapse, the sweep sheet (no Streamlit);

The loss charts (Plotly after a run, SVG while it goes) are :mod:`nst.charts`, in :mod:`nst.viz`'s palette.

How a run works inside Streamlit
--------------------------------
The optimisation runs in the script run itself (not in a thread, so that a
click on Stop can end it at the next ``st`` call): ``Run`` sets a flag through its callback, the rerun that
follows draws the page with every setting disabled and the ``Stop`` button
enabled, then iterates :func:`nst.optimize.stylize` and redraws placeholders.
Every ``st`` call is a point where Streamlit can end the script: a click on
``Stop`` (or any rerun, a page switch, a closed tab) raises inside the loop.
The ``finally`` of :func:`.runner.execute` then asks the generator to stop, takes its last event
(status 'stopped', the last image), records it in the run's ``gen_N`` folder with the reason
(:meth:`nst.pipeline.RunRecorder.finish_partial`, as the CLI does for a signal)
and leaves the queue; the next script run shows that result from
``st.session_state``.

One optimisation at a time per process: :class:`nst.runqueue.RunQueue`
(shared with ``st.cache_resource``) hands out the slot first come, first
served; sessions in line see their place and start on their own.
"""
from ui.studio.panel import settings_panel  # noqa: F401
from ui.studio.results import describe, downloads, earlier_runs, show_result, timelapse  # noqa: F401
from ui.studio.runner import (LiveView, draw_charts, execute, finish_stopped, progress_text,  # noqa: F401
                              run, stylize_events)
from ui.studio.session import (Presence, TabClosed, request_run, request_stop, request_sweep,  # noqa: F401
                               session_box, session_id, wait_for_previous_run)
from ui.studio.settings import (FIELDS, KEY, build_config, default_settings,  # noqa: F401
                                parse_query, sample_names, sample_slugs, to_query, weights_note)
from ui.studio.slot import optimisation_slot, queue_line, run_queue  # noqa: F401
from ui.studio.store import data_dir, shared_gallery  # noqa: F401
from ui.studio import sweep  # noqa: F401
