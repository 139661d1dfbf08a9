"""golden's handler registry refuses a second handler for an instruction and a handler for
a mnemonic the table does not have (a silent override would make golden run other code
than the handler its tests exercise)."""

import pytest

from golden.dispatch import handles


@pytest.mark.parametrize("mnemonic", ["ADD", "NO_SUCH_ROW"])
def test_registering_twice_or_for_no_row_is_refused(mnemonic):
    with pytest.raises(ValueError):
        handles(mnemonic)(lambda m, ins, pc: None)
