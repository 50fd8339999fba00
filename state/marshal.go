package state

// Marshal returns s in the state file format (what `benito show -json`
// prints and saved plans embed).
func Marshal(s *State) ([]byte, error) { return encodeState(s) }

// Unmarshal parses the state file format.
func Unmarshal(data []byte) (*State, error) { return decodeState(data) }
