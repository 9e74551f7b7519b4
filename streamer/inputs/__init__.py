"""Input adapters: what crawlers write (WARC files, crawler JSON records, raw page bytes) turned
into Snapshots. Parsing only, no Kafka and no files opened here beyond the one being read; the
engine in `streamer.core` never sees a format."""
