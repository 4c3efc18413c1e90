--[[
  Claims the first free agent of a hunt order, atomically, so two calls never ring one agent.
  A key already held by the same holder counts as free for it (a repeated request), and its
  time-to-live is renewed, never shortened (a talk's longer claim stays).

  KEYS[1..n]  claim keys of the candidate agents, in hunt order
  ARGV[1]     holder (call and attempt number)
  ARGV[2]     claim time-to-live in milliseconds (a lost callback cannot lock an agent out)

  Returns the 1-based index of the claimed key, or 0 when every candidate is claimed by others.
]]
for i = 1, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    return i
  end
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    -- Never shortened: the holder's claim may have been extended for a talk since.
    if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[2]) then
      redis.call('PEXPIRE', KEYS[i], ARGV[2])
    end
    return i
  end
end
return 0
