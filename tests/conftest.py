import sys
from pathlib import Path

# Tests import their builders and the local Google (tests/fakegoogle) as plain modules.
sys.path.insert(0, str(Path(__file__).parent))
