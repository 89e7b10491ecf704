using System.Net;
using System.Net.Sockets;

namespace Radiant.Scheduling;

/// <summary>
/// Which addresses a webhook may be delivered to. Webhook URLs are tenants' input, and the worker calls them from
/// inside your network: by default only public unicast addresses are allowed, so a schedule cannot make the worker
/// probe loopback services, private networks or a cloud metadata endpoint (169.254.169.254).
/// </summary>
public static class WebhookAddressPolicy
{
    /// <summary>
    /// True for a public unicast address; false for loopback, unspecified, private (10/8, 172.16/12, 192.168/16,
    /// fc00::/7), carrier-grade NAT (100.64/10), link-local (169.254/16, fe80::/10), documentation and benchmarking
    /// ranges, multicast, broadcast and reserved addresses. IPv4 addresses embedded in IPv6 (mapped, NAT64 64:ff9b::/96,
    /// 6to4 2002::/16) are judged as the IPv4 address they carry.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && EmbeddedIPv4(address) is { } embedded)
        {
            address = embedded;
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicIPv4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsPublicIPv6(address),
            _ => false,
        };
    }

    private static bool IsPublicIPv4(byte[] b) => !(
        b[0] == 0                                    // "this network"
        || b[0] == 10                                // private
        || (b[0] == 100 && (b[1] & 0xC0) == 64)      // carrier-grade NAT 100.64/10
        || b[0] == 127                               // loopback
        || (b[0] == 169 && b[1] == 254)              // link-local, cloud metadata
        || (b[0] == 172 && (b[1] & 0xF0) == 16)      // private 172.16/12
        || (b[0] == 192 && b[1] == 0 && b[2] == 0)   // IETF protocol assignments
        || (b[0] == 192 && b[1] == 0 && b[2] == 2)   // documentation
        || (b[0] == 192 && b[1] == 168)              // private
        || (b[0] == 198 && (b[1] & 0xFE) == 18)      // benchmarking 198.18/15
        || (b[0] == 198 && b[1] == 51 && b[2] == 100) // documentation
        || (b[0] == 203 && b[1] == 0 && b[2] == 113) // documentation
        || b[0] >= 224);                             // multicast, reserved, broadcast

    private static bool IsPublicIPv6(IPAddress address)
    {
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
            || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return false;
        }

        var b = address.GetAddressBytes();
        // Documentation 2001:db8::/32; everything outside global unicast 2000::/3 is reserved.
        return !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) && (b[0] & 0xE0) == 0x20;
    }

    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b.AsSpan(12, 4)); // NAT64 64:ff9b::/96
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b.AsSpan(2, 4)); // 6to4 2002::/16
        }

        return null;
    }
}
