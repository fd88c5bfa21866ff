"""moto's server with one emulator fix, started by LocalEndpoint as
`python -m streaming.local.moto_server -H ... -p ...`.

moto 5.x finds a shard's newest sequence number with `list(self.records.keys())[-1]`, once per record
put, so putting n records costs O(n^2): at 2,000 events/s the emulator spent most of a core copying key
lists after half a minute, and the measured lag was moto's, not the pipeline's. The replacements
return the same numbers from the ends of the (insertion-ordered) dict in O(1). Nothing else changes.
"""

import sys

from moto.kinesis.models import Shard
from moto.server import main


def _max_sequence_number(shard: Shard) -> int:
    return next(reversed(shard.records)) if shard.records else 0


def _min_sequence_number(shard: Shard) -> int:
    return next(iter(shard.records)) if shard.records else 0


Shard.get_max_sequence_number = _max_sequence_number
Shard.get_min_sequence_number = _min_sequence_number

if __name__ == "__main__":
    sys.exit(main())
