--[[
  Gives an agent's claim to a new holder while the claim is still held by the one named (the copy
  back after a Redis outage: see FailoverCoordinator).

  KEYS[1]  the agent's claim key
  ARGV[1]  the holder it must still have
  ARGV[2]  the new holder
  ARGV[3]  the new time-to-live in milliseconds

  Returns 1 when taken over, 0 when the claim had changed meanwhile.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
