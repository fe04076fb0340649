import pytest

from contract.worlds import WORLDS


@pytest.fixture(params=sorted(WORLDS))
def world(request, tmp_path):
    made = WORLDS[request.param](tmp_path)
    yield made
    made.close()
