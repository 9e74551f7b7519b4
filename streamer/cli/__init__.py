"""The `streamer` command line: one module per subcommand (dedup, run, publish, tail, health), the
shared flag helpers (`flags`), the entry point (`main`), file inputs, and tail's formatting
(`tailview`, apart from tail's I/O). It is the top layer: nothing else in streamer imports it.
"""
