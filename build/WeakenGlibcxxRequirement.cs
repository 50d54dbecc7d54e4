// MSBuild inline task (see TorchSharpNative.targets): sets VER_FLG_WEAK on one Elf64_Vernaux entry of a shared library.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenGlibcxxRequirement : Task
{
    [Required] public string LibraryPath { get; set; }
    [Required] public string VersionName { get; set; }
    [Output] public bool Patched { get; set; }

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        byte[] elf = File.ReadAllBytes(LibraryPath);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[4] != 2 || elf[5] != 1)
        {
            Log.LogWarning("{0} is not a little-endian ELF64 file; left unchanged.", LibraryPath);
            return true;
        }
        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)shoff + i * shentsize;
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, sh + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            long strtab = (long)BitConverter.ToUInt64(elf, (int)shoff + link * shentsize + 0x18);
            long need = offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < count; a++)
                {
                    string name = ReadCString(elf, strtab + BitConverter.ToUInt32(elf, (int)aux + 8));
                    if (name == VersionName)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            flags |= VerFlgWeak;
                            BitConverter.GetBytes(flags).CopyTo(elf, (int)aux + 4);
                            string temp = LibraryPath + ".tmp";
                            File.WriteAllBytes(temp, elf);
                            File.Copy(temp, LibraryPath, true);
                            File.Delete(temp);
                            Patched = true;
                        }
                        return true;
                    }
                    uint nextAux = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = BitConverter.ToUInt32(elf, (int)need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        return true;
    }

    private static string ReadCString(byte[] data, long start)
    {
        int end = (int)start;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, end - (int)start);
    }
}
